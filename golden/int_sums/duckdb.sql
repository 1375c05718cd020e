-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH RECURSIVE __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_sums_src AS (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    val AS __fsql_x0,
    CASE WHEN user_id <> CAST(2 AS BIGINT) THEN val END AS __fsql_x1
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
), __fsql_sums_good AS (
  SELECT
    __fsql_rid,
    user_id AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT user_id IS NULL
), __fsql_sums_run AS MATERIALIZED (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_pos) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_pos,
    COUNT(__fsql_n0) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_n0,
    __fsql_val0,
    __fsql_val1,
    __fsql_rankv
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      0 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      1 AS __fsql_pos,
      __fsql_x0 AS __fsql_n0,
      __fsql_x0 AS __fsql_val0,
      __fsql_x1 AS __fsql_val1,
      __fsql_c,
      __fsql_x0 AS __fsql_rankv
    FROM __fsql_sums_src
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      1 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_pos,
      NULL AS __fsql_n0,
      NULL AS __fsql_val0,
      NULL AS __fsql_val1,
      NULL AS __fsql_c,
      NULL AS __fsql_rankv
    FROM __fsql_sums_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 1000000),
      (2, 86400000000),
      (3, NULL)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_sums_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) - MAX(CASE WHEN __fsql_wi = 3 THEN __fsql_n0 END) AS __fsql_n4,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) AS __fsql_r4,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
    MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_lo1,
    MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_pos END) AS __fsql_lo2,
    MAX(CASE WHEN __fsql_wi = 3 THEN __fsql_pos END) AS __fsql_lo3
  FROM __fsql_sums_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_sums_blocks AS (
  SELECT
    0 AS __fsql_l,
    __fsql_pos - 1 AS __fsql_b,
    CAST(__fsql_val0 AS INT128) AS __fsql_sum0,
    CAST(__fsql_val1 AS INT128) AS __fsql_sum1,
    __fsql_val0 AS __fsql_max0
  FROM __fsql_sums_run
  WHERE
    __fsql_rid IS NULL
  UNION ALL
  SELECT
    __fsql_l + 1 AS __fsql_l,
    (
      __fsql_b >> 1
    ) AS __fsql_b,
    SUM(__fsql_sum0) AS __fsql_sum0,
    SUM(__fsql_sum1) AS __fsql_sum1,
    MAX(__fsql_max0) AS __fsql_max0
  FROM __fsql_sums_blocks
  WHERE
    __fsql_l < 39
  GROUP BY
    __fsql_l + 1,
    (
      __fsql_b >> 1
    )
), __fsql_sums_cover AS (
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
        FROM __fsql_sums_cnt
        WHERE
          __fsql_hi > __fsql_lo1
        UNION ALL
        SELECT
          __fsql_rid,
          2 AS __fsql_wi,
          __fsql_lo2 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_sums_cnt
        WHERE
          __fsql_hi > __fsql_lo2
        UNION ALL
        SELECT
          __fsql_rid,
          3 AS __fsql_wi,
          __fsql_lo3 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_sums_cnt
        WHERE
          __fsql_hi > __fsql_lo3
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
), __fsql_sums_bk AS (
  SELECT
    __fsql_q.__fsql_rid,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum0 END) AS __fsql_a0,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 2 THEN __fsql_blk.__fsql_sum1 END) AS __fsql_a1,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 3 THEN __fsql_blk.__fsql_sum0 END) AS __fsql_a2,
    MAX(CASE WHEN __fsql_q.__fsql_wi = 2 THEN __fsql_blk.__fsql_max0 END) AS __fsql_a3
  FROM __fsql_sums_cover AS __fsql_q
  JOIN __fsql_sums_blocks AS __fsql_blk
    ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
    AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
  GROUP BY
    __fsql_q.__fsql_rid
), __fsql_sums_ranked AS (
  SELECT
    __fsql_n0 AS __fsql_rank,
    __fsql_rankv AS __fsql_v
  FROM __fsql_sums_run
  WHERE
    __fsql_rid IS NULL AND NOT __fsql_rankv IS NULL
), __fsql_sums_rk AS (
  SELECT
    __fsql_q.__fsql_rid,
    MAX(CASE WHEN __fsql_q.__fsql_j = 4 THEN __fsql_e.__fsql_v END) AS __fsql_a4
  FROM (
    SELECT
      __fsql_rid,
      4 AS __fsql_j,
      __fsql_r4 AS __fsql_rank
    FROM __fsql_sums_cnt
    WHERE
      __fsql_n4 > 0
  ) AS __fsql_q
  JOIN __fsql_sums_ranked AS __fsql_e
    ON __fsql_e.__fsql_rank = __fsql_q.__fsql_rank
  GROUP BY
    __fsql_q.__fsql_rid
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_bk.__fsql_a0 IS NULL
      THEN CAST(NULL AS BIGINT)
      WHEN __fsql_sums_bk.__fsql_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_bk.__fsql_a0 AS BIGINT)
      ELSE CAST(ERROR(
        'fsql: sum sums.sum_1s overflows int64 at a spine row: ' || CAST(__fsql_sums_bk.__fsql_a0 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
      ) AS BIGINT)
    END
    ELSE CAST(NULL AS BIGINT)
  END AS "sum_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_bk.__fsql_a1 IS NULL
      THEN CAST(NULL AS BIGINT)
      WHEN __fsql_sums_bk.__fsql_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_bk.__fsql_a1 AS BIGINT)
      ELSE CAST(ERROR(
        'fsql: sum sums.sum_1d overflows int64 at a spine row: ' || CAST(__fsql_sums_bk.__fsql_a1 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
      ) AS BIGINT)
    END
    ELSE CAST(NULL AS BIGINT)
  END AS "sum_1d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CAST(__fsql_sums_bk.__fsql_a2 AS DECIMAL(30, 0))
    ELSE CAST(NULL AS DECIMAL(30, 0))
  END AS "sum_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_sums_bk.__fsql_a3
    ELSE CAST(NULL AS BIGINT)
  END AS "max_1d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_sums_rk.__fsql_a4
    ELSE CAST(NULL AS BIGINT)
  END AS "last_val"
FROM __fsql_spine
LEFT JOIN __fsql_sums_cnt
  ON __fsql_spine.__fsql_rid = __fsql_sums_cnt.__fsql_rid
LEFT JOIN __fsql_sums_bk
  ON __fsql_spine.__fsql_rid = __fsql_sums_bk.__fsql_rid
LEFT JOIN __fsql_sums_rk
  ON __fsql_spine.__fsql_rid = __fsql_sums_rk.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
