-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut exclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
    DATE_PART(EPOCH_MICROSECOND, created) AS __fsql_c,
    1 AS __fsql_x0,
    amount AS __fsql_x1,
    qty AS __fsql_x2,
    merchant_id AS __fsql_x3
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
), __fsql_activity_link AS (
  SELECT
    *
    EXCLUDE (__fsql_k0, __fsql_ts, __fsql_c, __fsql_x0, __fsql_x1, __fsql_x2, __fsql_x3, __fsql_mt, __fsql_wi, __fsql_o, __fsql_side, __fsql_klo, __fsql_khi, __fsql_lv1, __fsql_lo1, __fsql_fv1, __fsql_fo1, __fsql_lv2, __fsql_lo2, __fsql_prev3, __fsql_next3, __fsql_start3_7200000000, __fsql_end3_7200000000)
  FROM (
    SELECT
      *,
      __fsql_start3_7200000000 - FIRST_VALUE(__fsql_end3_7200000000) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p0_a7,
      FIRST_VALUE(CASE WHEN __fsql_fo1 < __fsql_t THEN __fsql_fv1 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 2 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p0_a10,
      CASE WHEN __fsql_lo1 >= __fsql_t - 3600000000 THEN __fsql_lv1 END AS __fsql_p0_a11,
      __fsql_lv2 AS __fsql_p0_a12
    FROM (
      SELECT
        *,
        COUNT(
          CASE
            WHEN NOT __fsql_x3 IS NULL
            AND (
              __fsql_prev3 IS NULL OR __fsql_ts - __fsql_prev3 >= 7200000000
            )
            THEN 1
          END
        ) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_start3_7200000000,
        COUNT(
          CASE
            WHEN NOT __fsql_x3 IS NULL
            AND (
              __fsql_next3 IS NULL OR __fsql_next3 - __fsql_ts >= 7200000000
            )
            THEN 1
          END
        ) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_end3_7200000000
      FROM (
        SELECT
          *,
          LAST_VALUE(__fsql_x1) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x1 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lv1,
          LAST_VALUE(CASE WHEN NOT __fsql_x1 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x1 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lo1,
          FIRST_VALUE(__fsql_x1) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x1 NULLS FIRST
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
          ) AS __fsql_fv1,
          FIRST_VALUE(CASE WHEN NOT __fsql_x1 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x1 NULLS FIRST
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
          ) AS __fsql_fo1,
          LAST_VALUE(__fsql_x2) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x2 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lv2,
          LAST_VALUE(CASE WHEN NOT __fsql_x2 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x2 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lo2,
          LAG(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x3 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_prev3,
          LEAD(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x3 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_next3
        FROM (
          SELECT
            __fsql_j.*,
            __fsql_w.__fsql_wi,
            COALESCE(__fsql_ts, __fsql_t - __fsql_us, -4611686018427387904) AS __fsql_o,
            CASE WHEN __fsql_rid IS NULL THEN 1 ELSE 0 END AS __fsql_side
          FROM (
            SELECT
              *,
              COUNT(__fsql_x0) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a0,
              COUNT(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a1,
              SUM(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a2,
              SUM(CAST(__fsql_x2 AS DECIMAL(38, 0))) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 3600000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a3,
              CAST(AVG(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
              ) AS DOUBLE) AS __fsql_p0_a4,
              MIN(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 7200000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a5,
              MAX(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 1000000 PRECEDING AND 1 PRECEDING
              ) AS __fsql_p0_a6,
              CAST(STDDEV_SAMP(__fsql_x1) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 31536000000000 PRECEDING AND 1 PRECEDING
              ) AS DOUBLE) AS __fsql_p0_a8,
              CAST(VARIANCE(__fsql_x2) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
              ) AS DOUBLE) AS __fsql_p0_a9
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  *,
                  MIN(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_klo,
                  MAX(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_khi
                FROM (
                  SELECT
                    __fsql_q.*,
                    COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_k0,
                    __fsql_e.__fsql_ts,
                    __fsql_e.__fsql_c,
                    __fsql_e.__fsql_x0,
                    __fsql_e.__fsql_x1,
                    __fsql_e.__fsql_x2,
                    __fsql_e.__fsql_x3,
                    COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_mt
                  FROM __fsql_spine AS __fsql_q
                  FULL JOIN (
                    SELECT
                      __fsql_k0,
                      __fsql_ts,
                      __fsql_c,
                      CAST(NULL AS BIGINT) AS __fsql_none,
                      __fsql_x0,
                      __fsql_x1,
                      __fsql_x2,
                      __fsql_x3
                    FROM __fsql_activity_src
                  ) AS __fsql_e
                    ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
                ) AS __fsql_r
              ) AS __fsql_rp
              WHERE
                NOT __fsql_rid IS NULL OR (
                  __fsql_ts <= __fsql_khi
                )
            ) AS __fsql_m
          ) AS __fsql_j
          CROSS JOIN (VALUES
            (0, 0),
            (1, 7200000000),
            (2, 3600000000)) AS __fsql_w(__fsql_wi, __fsql_us)
          WHERE
            __fsql_wi = 0 OR NOT __fsql_rid IS NULL AND NOT __fsql_t IS NULL
        ) AS __fsql_st
      ) AS __fsql_wn
    ) AS __fsql_rc
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_pk
  WHERE
    __fsql_wi = 0
)
SELECT
  __fsql_activity_link.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5, __fsql_p0_a6, __fsql_p0_a7, __fsql_p0_a8, __fsql_p0_a9, __fsql_p0_a10, __fsql_p0_a11, __fsql_p0_a12),
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN COALESCE(__fsql_activity_link.__fsql_p0_a0, 0)
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "txn_count_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN COALESCE(__fsql_activity_link.__fsql_p0_a1, 0)
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "amount_count_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a2
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_link.__fsql_p0_a3 IS NULL
        THEN CAST(NULL AS DECIMAL(38, 0))
        WHEN __fsql_activity_link.__fsql_p0_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_link.__fsql_p0_a3 AS DECIMAL(38, 0))
        ELSE CAST(TO_NUMBER(
          CONCAT(
            'fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ',
            CAST(__fsql_activity_link.__fsql_p0_a3 AS VARCHAR),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS DECIMAL(38, 0))
      END,
      CAST(0 AS DECIMAL(38, 0))
    )
    ELSE CAST(0 AS DECIMAL(38, 0))
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a4
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a5
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN COALESCE(__fsql_activity_link.__fsql_p0_a6, CAST(-1.0 AS DOUBLE))
    ELSE CAST(-1.0 AS DOUBLE)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN COALESCE(__fsql_activity_link.__fsql_p0_a7, 0)
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a8
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a9
    ELSE CAST(NULL AS DOUBLE)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a10
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a11
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_activity_link.__fsql_t IS NULL
    AND NOT __fsql_activity_link.user_id IS NULL
    THEN __fsql_activity_link.__fsql_p0_a12
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "qty_last_lifetime"
FROM __fsql_activity_link
ORDER BY
  __fsql_activity_link.__fsql_rid NULLS FIRST
