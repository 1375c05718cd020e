-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff on | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, user_id, event_timestamp, label) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    UNIX_MICROS(created) AS __fsql_c,
    1 AS __fsql_x0,
    amount AS __fsql_x1,
    qty AS __fsql_x2,
    merchant_id AS __fsql_x3
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_activity_joined AS (
  SELECT
    *
    EXCEPT (__fsql_p0_one)
  FROM (
    SELECT
      __fsql_q.*,
      COUNT(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x0
        END
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_a0,
      COUNT(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_a1,
      CASE
        WHEN SUM(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
            THEN __fsql_e.__fsql_x1
          END * 0.00048828125
        ) OVER (PARTITION BY __fsql_q.__fsql_rid) IS NULL
        THEN CAST(NULL AS FLOAT64)
        WHEN IS_NAN(
          SUM(
            CASE
              WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
              THEN __fsql_e.__fsql_x1
            END * 0.00048828125
          ) OVER (PARTITION BY __fsql_q.__fsql_rid)
        )
        THEN SUM(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
            THEN __fsql_e.__fsql_x1
          END * 0.00048828125
        ) OVER (PARTITION BY __fsql_q.__fsql_rid)
        WHEN ABS(
          SUM(
            CASE
              WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
              THEN __fsql_e.__fsql_x1
            END * 0.00048828125
          ) OVER (PARTITION BY __fsql_q.__fsql_rid)
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(
            CASE
              WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
              THEN __fsql_e.__fsql_x1
            END * 0.00048828125
          ) OVER (PARTITION BY __fsql_q.__fsql_rid) > 0
          THEN CAST('inf' AS FLOAT64)
          ELSE CAST('-inf' AS FLOAT64)
        END
        ELSE SUM(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
            THEN __fsql_e.__fsql_x1
          END * 0.00048828125
        ) OVER (PARTITION BY __fsql_q.__fsql_rid) * 2048.0
      END AS __fsql_p0_a2,
      SUM(
        CAST(CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x2
        END AS NUMERIC)
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_a3,
      CAST(CASE
        WHEN SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid) IS NULL
        THEN CAST(NULL AS FLOAT64)
        WHEN IS_NAN(SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid))
        THEN SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid)
        WHEN ABS(SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid)) = CAST('inf' AS FLOAT64)
        THEN SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid)
        ELSE (
          CAST(SUM(__fsql_e.__fsql_x1 * 0.00048828125) OVER (PARTITION BY __fsql_q.__fsql_rid) AS FLOAT64) / NULLIF(COUNT(__fsql_e.__fsql_x1) OVER (PARTITION BY __fsql_q.__fsql_rid), 0)
        ) * 2048.0
      END AS FLOAT64) AS __fsql_p0_a4,
      COALESCE(
        MIN(
          CASE
            WHEN IS_NAN(
              CASE
                WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 7200000000
                THEN __fsql_e.__fsql_x1
              END
            )
            THEN NULL
            ELSE CASE
              WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 7200000000
              THEN __fsql_e.__fsql_x1
            END
          END
        ) OVER (PARTITION BY __fsql_q.__fsql_rid),
        MIN(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 7200000000
            THEN __fsql_e.__fsql_x1
          END
        ) OVER (PARTITION BY __fsql_q.__fsql_rid)
      ) AS __fsql_p0_a5,
      MAX(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 1000000
          THEN __fsql_e.__fsql_x1
        END
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_a6,
      COUNT(
        DISTINCT CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 7200000000
          THEN __fsql_e.__fsql_x3
        END
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_a7,
      CAST(STDDEV_SAMP(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 31536000000000
          THEN __fsql_e.__fsql_x1
        END
      ) OVER (PARTITION BY __fsql_q.__fsql_rid) AS FLOAT64) AS __fsql_p0_a8,
      CAST(VARIANCE(__fsql_e.__fsql_x2) OVER (PARTITION BY __fsql_q.__fsql_rid) AS FLOAT64) AS __fsql_p0_a9,
      FIRST_VALUE(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END
       IGNORE NULLS) OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts ASC, __fsql_e.__fsql_c ASC, IS_NAN(__fsql_e.__fsql_x1) ASC, __fsql_e.__fsql_x1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS __fsql_p0_a10,
      FIRST_VALUE(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END
       IGNORE NULLS) OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC, __fsql_e.__fsql_c DESC, IS_NAN(__fsql_e.__fsql_x1) DESC, __fsql_e.__fsql_x1 DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS __fsql_p0_a11,
      FIRST_VALUE(__fsql_e.__fsql_x2 IGNORE NULLS) OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC, __fsql_e.__fsql_c DESC, __fsql_e.__fsql_x2 DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS __fsql_p0_a12,
      ROW_NUMBER() OVER (PARTITION BY __fsql_q.__fsql_rid) AS __fsql_p0_one
    FROM __fsql_spine AS __fsql_q
    LEFT JOIN __fsql_activity_src AS __fsql_e
      ON __fsql_q.user_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND (
        __fsql_e.__fsql_c IS NULL OR __fsql_e.__fsql_c <= __fsql_q.__fsql_t
      )
  ) AS __fsql_g
  WHERE
    __fsql_p0_one = 1
)
SELECT
  __fsql_activity_joined.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5, __fsql_p0_a6, __fsql_p0_a7, __fsql_p0_a8, __fsql_p0_a9, __fsql_p0_a10, __fsql_p0_a11, __fsql_p0_a12),
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN COALESCE(__fsql_activity_joined.__fsql_p0_a0, 0)
    ELSE CAST(NULL AS INT64)
  END AS `txn_count_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN COALESCE(__fsql_activity_joined.__fsql_p0_a1, 0)
    ELSE CAST(NULL AS INT64)
  END AS `amount_count_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a2
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_sum_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_joined.__fsql_p0_a3 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_activity_joined.__fsql_p0_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_joined.__fsql_p0_a3 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ',
            CAST(__fsql_activity_joined.__fsql_p0_a3 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END,
      CAST(0 AS INT64)
    )
    ELSE CAST(0 AS INT64)
  END AS `qty_sum_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a4
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_avg_lifetime`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a5
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_min_2h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN COALESCE(__fsql_activity_joined.__fsql_p0_a6, CAST(-1.0 AS FLOAT64))
    ELSE CAST(-1.0 AS FLOAT64)
  END AS `amount_max_1s`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN COALESCE(__fsql_activity_joined.__fsql_p0_a7, 0)
    ELSE CAST(NULL AS INT64)
  END AS `merchant_id_count_distinct_2h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a8
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_stddev_365d`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a9
    ELSE CAST(NULL AS FLOAT64)
  END AS `qty_variance_lifetime`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a10
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_first_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a11
    ELSE CAST(NULL AS FLOAT64)
  END AS `amount_last_1h`,
  CASE
    WHEN NOT __fsql_activity_joined.__fsql_t IS NULL
    AND NOT __fsql_activity_joined.user_id IS NULL
    THEN __fsql_activity_joined.__fsql_p0_a12
    ELSE CAST(NULL AS INT64)
  END AS `qty_last_lifetime`
FROM __fsql_activity_joined
ORDER BY
  __fsql_activity_joined.__fsql_rid
