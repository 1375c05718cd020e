-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut exclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(EXTRACT(EPOCH FROM created) * 1000000 AS BIGINT) AS __fsql_c,
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
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_activity_frames AS (
  SELECT
    __fsql_rid,
    __fsql_a0,
    __fsql_a1,
    __fsql_a2,
    __fsql_a3,
    __fsql_a4,
    __fsql_a5,
    __fsql_a6,
    __fsql_a8,
    __fsql_a9
  FROM (
    SELECT
      __fsql_rid,
      COUNT(__fsql_x0) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
      ) AS __fsql_a0,
      COUNT(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
      ) AS __fsql_a1,
      CASE
        WHEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
        )
        WHEN ABS(
          SUM(__fsql_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
          )
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
          ) > 0
          THEN CAST('inf' AS DOUBLE PRECISION)
          ELSE CAST('-inf' AS DOUBLE PRECISION)
        END
        ELSE SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
        ) * 2048.0
      END AS __fsql_a2,
      SUM(CAST(__fsql_x2 AS DECIMAL)) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
      ) AS __fsql_a3,
      CAST(CASE
        WHEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
        WHEN ABS(
          SUM(__fsql_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
          )
        ) = CAST('inf' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
        ELSE (
          CAST(SUM(__fsql_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
          ) AS DOUBLE PRECISION) / NULLIF(
            COUNT(__fsql_x1) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_o NULLS FIRST
              RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            0
          )
        ) * 2048.0
      END AS DOUBLE PRECISION) AS __fsql_a4,
      MIN(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 7200000000 PRECEDING AND 1 PRECEDING
      ) AS __fsql_a5,
      MAX(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 1000000 PRECEDING AND 1 PRECEDING
      ) AS __fsql_a6,
      CAST(STDDEV_SAMP(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 31536000000000 PRECEDING AND 1 PRECEDING
      ) AS DOUBLE PRECISION) AS __fsql_a8,
      CAST(VAR_SAMP(__fsql_x2) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ) AS DOUBLE PRECISION) AS __fsql_a9
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        __fsql_c,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        __fsql_x0,
        __fsql_x1,
        __fsql_x2
      FROM __fsql_activity_src
      UNION ALL
      SELECT
        user_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        NULL AS __fsql_c,
        __fsql_rid,
        NULL AS __fsql_x0,
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
), __fsql_activity_run AS (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_start3_7200000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_start3_7200000000,
    COUNT(__fsql_end3_7200000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_end3_7200000000
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      1 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
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
      END AS __fsql_end3_7200000000
    FROM __fsql_activity_isl
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      0 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_start3_7200000000,
      NULL AS __fsql_end3_7200000000
    FROM __fsql_activity_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 7200000000)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_activity_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_start3_7200000000 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_end3_7200000000 END) AS __fsql_a7
  FROM __fsql_activity_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_activity_nav AS (
  SELECT
    __fsql_rid,
    __fsql_a10,
    __fsql_a11,
    __fsql_a12
  FROM (
    SELECT
      __fsql_rid,
      __fsql_wi,
      FIRST_VALUE(CASE WHEN __fsql_fo1 < __fsql_t THEN __fsql_fv1 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_a10,
      FIRST_VALUE(CASE WHEN __fsql_lo1 >= __fsql_t - 3600000000 THEN __fsql_lv1 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 0 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_a11,
      FIRST_VALUE(__fsql_lv2) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 0 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_a12
    FROM (
      SELECT
        __fsql_rid,
        __fsql_wi,
        __fsql_t,
        FIRST_VALUE(__fsql_x1) OVER (
          PARTITION BY __fsql_k0, __fsql_g1
          ORDER BY CASE WHEN __fsql_x1 IS NULL THEN 1 ELSE 0 END NULLS FIRST
        ) AS __fsql_lv1,
        MAX(CASE WHEN NOT __fsql_x1 IS NULL THEN __fsql_o END) OVER (PARTITION BY __fsql_k0, __fsql_g1) AS __fsql_lo1,
        FIRST_VALUE(__fsql_x1) OVER (
          PARTITION BY __fsql_k0, __fsql_g1 - CASE WHEN NOT __fsql_x1 IS NULL THEN 1 ELSE 0 END
          ORDER BY CASE WHEN __fsql_x1 IS NULL THEN 1 ELSE 0 END NULLS FIRST
        ) AS __fsql_fv1,
        MAX(CASE WHEN NOT __fsql_x1 IS NULL THEN __fsql_o END) OVER (
          PARTITION BY __fsql_k0, __fsql_g1 - CASE WHEN NOT __fsql_x1 IS NULL THEN 1 ELSE 0 END
        ) AS __fsql_fo1,
        FIRST_VALUE(__fsql_x2) OVER (
          PARTITION BY __fsql_k0, __fsql_g2
          ORDER BY CASE WHEN __fsql_x2 IS NULL THEN 1 ELSE 0 END NULLS FIRST
        ) AS __fsql_lv2,
        MAX(CASE WHEN NOT __fsql_x2 IS NULL THEN __fsql_o END) OVER (PARTITION BY __fsql_k0, __fsql_g2) AS __fsql_lo2
      FROM (
        SELECT
          __fsql_k0,
          __fsql_o,
          __fsql_rid,
          __fsql_wi,
          __fsql_t,
          __fsql_x1,
          __fsql_x2,
          COUNT(__fsql_x1) OVER (
            ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x1 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_g1,
          COUNT(__fsql_x2) OVER (
            ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x2 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_g2
        FROM (
          SELECT
            __fsql_k0,
            __fsql_ts AS __fsql_o,
            1 AS __fsql_side,
            __fsql_c,
            CAST(NULL AS BIGINT) AS __fsql_rid,
            CAST(NULL AS INT) AS __fsql_wi,
            CAST(NULL AS BIGINT) AS __fsql_t,
            __fsql_x1,
            __fsql_x2
          FROM __fsql_activity_src
          UNION ALL
          SELECT
            __fsql_spine.user_id AS __fsql_k0,
            COALESCE(__fsql_spine.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
            0 AS __fsql_side,
            NULL AS __fsql_c,
            __fsql_spine.__fsql_rid,
            __fsql_w.__fsql_wi AS __fsql_wi,
            __fsql_spine.__fsql_t,
            NULL AS __fsql_x1,
            NULL AS __fsql_x2
          FROM __fsql_spine
          CROSS JOIN (VALUES
            (0, 0),
            (1, 3600000000)) AS __fsql_w(__fsql_wi, __fsql_us)
          WHERE
            NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
        ) AS __fsql_u
      ) AS __fsql_n
    ) AS __fsql_p
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_q
  WHERE
    __fsql_wi = 0
)
SELECT
  __fsql_spine.spine_id,
  __fsql_spine.user_id,
  __fsql_spine.event_timestamp,
  __fsql_spine.label,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_frames.__fsql_a0, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "txn_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_frames.__fsql_a1, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "amount_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a2
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_frames.__fsql_a3 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_activity_frames.__fsql_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_frames.__fsql_a3 AS BIGINT)
        ELSE CAST(CAST('fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ' || CAST(__fsql_activity_frames.__fsql_a3 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums' AS BIGINT) AS BIGINT)
      END,
      CAST(0 AS BIGINT)
    )
    ELSE CAST(0 AS BIGINT)
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a4
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a5
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_frames.__fsql_a6, CAST(-1.0 AS DOUBLE PRECISION))
    ELSE CAST(-1.0 AS DOUBLE PRECISION)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_cnt.__fsql_a7, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a8
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_frames.__fsql_a9
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_nav.__fsql_a10
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_nav.__fsql_a11
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_nav.__fsql_a12
    ELSE CAST(NULL AS BIGINT)
  END AS "qty_last_lifetime"
FROM __fsql_spine
LEFT JOIN __fsql_activity_frames
  ON __fsql_spine.__fsql_rid = __fsql_activity_frames.__fsql_rid
LEFT JOIN __fsql_activity_cnt
  ON __fsql_spine.__fsql_rid = __fsql_activity_cnt.__fsql_rid
LEFT JOIN __fsql_activity_nav
  ON __fsql_spine.__fsql_rid = __fsql_activity_nav.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
