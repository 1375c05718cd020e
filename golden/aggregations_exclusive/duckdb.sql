-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut exclusive | created cutoff off | names short | env default
WITH RECURSIVE __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    EPOCH_US(created) AS __fsql_c,
    1 AS __fsql_x0,
    amount AS __fsql_x1,
    qty AS __fsql_x2,
    merchant_id AS __fsql_x3
  FROM events AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND NOT EPOCH_US(ts) IS NULL
), __fsql_activity_frames AS (
  SELECT
    __fsql_rid,
    __fsql_a8,
    __fsql_a9
  FROM (
    SELECT
      __fsql_rid,
      CAST(STDDEV_SAMP(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 31536000000000 PRECEDING AND 1 PRECEDING
      ) AS DOUBLE) AS __fsql_a8,
      CAST(VARIANCE(__fsql_x2) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ) AS DOUBLE) AS __fsql_a9
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        __fsql_c,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        __fsql_x1,
        __fsql_x2
      FROM __fsql_activity_src
      UNION ALL
      SELECT
        user_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        NULL AS __fsql_c,
        __fsql_rid,
        NULL AS __fsql_x1,
        NULL AS __fsql_x2
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT user_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
), __fsql_activity_good AS (
  SELECT
    __fsql_rid,
    user_id AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT user_id IS NULL
), __fsql_activity_isl AS (
  SELECT
    *,
    LAG(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x3 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_prev3,
    LEAD(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x3 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_next3
  FROM __fsql_activity_src
), __fsql_activity_run AS MATERIALIZED (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_pos) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_pos,
    COUNT(__fsql_n1) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_n1,
    COUNT(__fsql_start3_7200000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_start3_7200000000,
    COUNT(__fsql_end3_7200000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_end3_7200000000,
    __fsql_val1,
    __fsql_val2,
    __fsql_rankv
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      1 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      1 AS __fsql_pos,
      __fsql_x1 AS __fsql_n1,
      CASE
        WHEN NOT __fsql_x3 IS NULL
        AND (
          __fsql_prev3 IS NULL OR __fsql_ts - __fsql_prev3 >= 7200000000
        )
        THEN 1
      END AS __fsql_start3_7200000000,
      CASE
        WHEN NOT __fsql_x3 IS NULL
        AND (
          __fsql_next3 IS NULL OR __fsql_next3 - __fsql_ts >= 7200000000
        )
        THEN 1
      END AS __fsql_end3_7200000000,
      __fsql_x1 AS __fsql_val1,
      __fsql_x2 AS __fsql_val2,
      __fsql_c,
      __fsql_x1 AS __fsql_rankv
    FROM __fsql_activity_isl
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      0 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_pos,
      NULL AS __fsql_n1,
      NULL AS __fsql_start3_7200000000,
      NULL AS __fsql_end3_7200000000,
      NULL AS __fsql_val1,
      NULL AS __fsql_val2,
      NULL AS __fsql_c,
      NULL AS __fsql_rankv
    FROM __fsql_activity_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 3600000000),
      (2, 7200000000),
      (3, NULL),
      (4, 1000000)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_activity_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_a0,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n1 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n1 END) AS __fsql_a1,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n1 END) - MAX(CASE WHEN __fsql_wi = 3 THEN __fsql_n1 END) AS __fsql_n4,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n1 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n1 END) AS __fsql_n10,
    MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n1 END) + 1 AS __fsql_r10,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n1 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n1 END) AS __fsql_n11,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n1 END) AS __fsql_r11,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_start3_7200000000 END) - MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_end3_7200000000 END) AS __fsql_a7,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
    MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_lo1,
    MAX(CASE WHEN __fsql_wi = 3 THEN __fsql_pos END) AS __fsql_lo3,
    MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_pos END) AS __fsql_lo2,
    MAX(CASE WHEN __fsql_wi = 4 THEN __fsql_pos END) AS __fsql_lo4
  FROM __fsql_activity_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_activity_blocks AS (
  SELECT
    0 AS __fsql_l,
    __fsql_pos - 1 AS __fsql_b,
    __fsql_val1 AS __fsql_sum1,
    CAST(__fsql_val2 AS INT128) AS __fsql_sum2,
    __fsql_val1 AS __fsql_min1,
    __fsql_val1 AS __fsql_max1
  FROM __fsql_activity_run
  WHERE
    __fsql_rid IS NULL
  UNION ALL
  SELECT
    __fsql_l + 1 AS __fsql_l,
    (
      __fsql_b >> 1
    ) AS __fsql_b,
    SUM(__fsql_sum1) AS __fsql_sum1,
    SUM(__fsql_sum2) AS __fsql_sum2,
    MIN(__fsql_min1) AS __fsql_min1,
    MAX(__fsql_max1) AS __fsql_max1
  FROM __fsql_activity_blocks
  WHERE
    __fsql_l < 39
  GROUP BY
    __fsql_l + 1,
    (
      __fsql_b >> 1
    )
), __fsql_activity_cover AS (
  SELECT
    __fsql_rid,
    __fsql_wi,
    __fsql_l,
    CASE WHEN __fsql_side = 0 THEN __fsql_a ELSE __fsql_bb - 1 END AS __fsql_b
  FROM (
    SELECT
      __fsql_rid,
      __fsql_wi,
      __fsql_l,
      (
        __fsql_lo + (
          1 << __fsql_l
        ) - 1 >> __fsql_l
      ) AS __fsql_a,
      (
        __fsql_hi >> __fsql_l
      ) AS __fsql_bb,
      (
        __fsql_lo + (
          2 << __fsql_l
        ) - 1 >> (
          __fsql_l + 1
        )
      ) AS __fsql_a2,
      (
        __fsql_hi >> (
          __fsql_l + 1
        )
      ) AS __fsql_b2
    FROM (
      SELECT
        __fsql_rid,
        __fsql_wi,
        __fsql_lo,
        __fsql_hi,
        UNNEST(RANGE(0, CAST(FLOOR(LOG(2, __fsql_hi - __fsql_lo)) AS INT) + 1)) AS __fsql_l
      FROM (
        SELECT
          __fsql_rid,
          1 AS __fsql_wi,
          __fsql_lo1 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_activity_cnt
        WHERE
          __fsql_hi > __fsql_lo1
        UNION ALL
        SELECT
          __fsql_rid,
          3 AS __fsql_wi,
          __fsql_lo3 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_activity_cnt
        WHERE
          __fsql_hi > __fsql_lo3
        UNION ALL
        SELECT
          __fsql_rid,
          2 AS __fsql_wi,
          __fsql_lo2 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_activity_cnt
        WHERE
          __fsql_hi > __fsql_lo2
        UNION ALL
        SELECT
          __fsql_rid,
          4 AS __fsql_wi,
          __fsql_lo4 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_activity_cnt
        WHERE
          __fsql_hi > __fsql_lo4
      ) AS __fsql_r
    ) AS __fsql_lv
  ) AS __fsql_bounds
  CROSS JOIN (VALUES
    (0),
    (1)) AS __fsql_sides(__fsql_side)
  WHERE
    (
      __fsql_side = 0 AND (
        __fsql_a < __fsql_bb AND __fsql_a < 2 * __fsql_a2
      )
    )
    OR (
      __fsql_side = 1
      AND (
        __fsql_bb - 1 >= __fsql_a
        AND __fsql_bb - 1 >= 2 * __fsql_b2
        AND NOT (
          __fsql_bb - 1 = __fsql_a
          AND (
            __fsql_a < __fsql_bb AND __fsql_a < 2 * __fsql_a2
          )
        )
      )
    )
), __fsql_activity_bk AS (
  SELECT
    __fsql_q.__fsql_rid,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum1 END) AS __fsql_a2,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum2 END) AS __fsql_a3,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 3 THEN __fsql_blk.__fsql_sum1 END) AS __fsql_a4,
    MIN(CASE WHEN __fsql_q.__fsql_wi = 2 THEN __fsql_blk.__fsql_min1 END) AS __fsql_a5,
    MAX(CASE WHEN __fsql_q.__fsql_wi = 4 THEN __fsql_blk.__fsql_max1 END) AS __fsql_a6
  FROM __fsql_activity_cover AS __fsql_q
  JOIN __fsql_activity_blocks AS __fsql_blk
    ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
    AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
  GROUP BY
    __fsql_q.__fsql_rid
), __fsql_activity_ranked AS (
  SELECT
    __fsql_n1 AS __fsql_rank,
    __fsql_rankv AS __fsql_v
  FROM __fsql_activity_run
  WHERE
    __fsql_rid IS NULL AND NOT __fsql_rankv IS NULL
), __fsql_activity_rk AS (
  SELECT
    __fsql_q.__fsql_rid,
    MAX(CASE WHEN __fsql_q.__fsql_j = 10 THEN __fsql_e.__fsql_v END) AS __fsql_a10,
    MAX(CASE WHEN __fsql_q.__fsql_j = 11 THEN __fsql_e.__fsql_v END) AS __fsql_a11
  FROM (
    SELECT
      __fsql_rid,
      10 AS __fsql_j,
      __fsql_r10 AS __fsql_rank
    FROM __fsql_activity_cnt
    WHERE
      __fsql_n10 > 0
    UNION ALL
    SELECT
      __fsql_rid,
      11 AS __fsql_j,
      __fsql_r11 AS __fsql_rank
    FROM __fsql_activity_cnt
    WHERE
      __fsql_n11 > 0
  ) AS __fsql_q
  JOIN __fsql_activity_ranked AS __fsql_e
    ON __fsql_e.__fsql_rank = __fsql_q.__fsql_rank
  GROUP BY
    __fsql_q.__fsql_rid
), __fsql_activity_last2wlifeev AS (
  SELECT
    __fsql_k0,
    __fsql_ts,
    __fsql_c,
    MAX(__fsql_x2) AS __fsql_v
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts,
      COALESCE(__fsql_c, -9223372036854775807) AS __fsql_c,
      __fsql_x2
    FROM __fsql_activity_src
    WHERE
      NOT __fsql_x2 IS NULL
  ) AS __fsql_e
  GROUP BY
    __fsql_k0,
    __fsql_ts,
    __fsql_c
), __fsql_activity_last2wlifehit AS (
  SELECT
    __fsql_g.__fsql_rid,
    __fsql_e.__fsql_ts,
    __fsql_e.__fsql_v
  FROM __fsql_activity_good AS __fsql_g
  ASOF JOIN __fsql_activity_last2wlifeev AS __fsql_e
    ON __fsql_g.__fsql_k0 = __fsql_e.__fsql_k0
    AND {'ts': __fsql_g.__fsql_t, 'c': -9223372036854775808} > {'ts': __fsql_e.__fsql_ts, 'c': __fsql_e.__fsql_c}
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_cnt.__fsql_a0, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "txn_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_cnt.__fsql_a1, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "amount_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_bk.__fsql_a2
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_bk.__fsql_a3 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_activity_bk.__fsql_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_bk.__fsql_a3 AS BIGINT)
        ELSE CAST(ERROR(
          'fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ' || CAST(__fsql_activity_bk.__fsql_a3 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
        ) AS BIGINT)
      END,
      CAST(0 AS BIGINT)
    )
    ELSE CAST(0 AS BIGINT)
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CAST(__fsql_activity_bk.__fsql_a4 AS DOUBLE) / NULLIF(__fsql_activity_cnt.__fsql_n4, 0)
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_bk.__fsql_a5
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_bk.__fsql_a6, CAST(-1.0 AS DOUBLE))
    ELSE CAST(-1.0 AS DOUBLE)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_cnt.__fsql_a7, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a8
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a9
    ELSE CAST(NULL AS DOUBLE)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_rk.__fsql_a10
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_rk.__fsql_a11
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_last2wlifehit.__fsql_v
    ELSE CAST(NULL AS BIGINT)
  END AS "qty_last_lifetime"
FROM __fsql_spine
LEFT JOIN __fsql_activity_frames
  ON __fsql_spine.__fsql_rid = __fsql_activity_frames.__fsql_rid
LEFT JOIN __fsql_activity_cnt
  ON __fsql_spine.__fsql_rid = __fsql_activity_cnt.__fsql_rid
LEFT JOIN __fsql_activity_bk
  ON __fsql_spine.__fsql_rid = __fsql_activity_bk.__fsql_rid
LEFT JOIN __fsql_activity_rk
  ON __fsql_spine.__fsql_rid = __fsql_activity_rk.__fsql_rid
LEFT JOIN __fsql_activity_last2wlifehit
  ON __fsql_spine.__fsql_rid = __fsql_activity_last2wlifehit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
