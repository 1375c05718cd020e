-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff on | names short | env default
WITH __fsql_spine AS (
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
), __fsql_activity_groups AS (
  SELECT
    __fsql_spine.__fsql_rid,
    COUNT(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN __fsql_e.__fsql_x0
      END
    ) AS __fsql_a0,
    COUNT(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN __fsql_e.__fsql_x1
      END
    ) AS __fsql_a1,
    SUM(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN __fsql_e.__fsql_x1
      END
    ) AS __fsql_a2,
    SUM(
      CAST(CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN __fsql_e.__fsql_x2
      END AS INT128)
    ) AS __fsql_a3,
    CAST(AVG(__fsql_e.__fsql_x1) AS DOUBLE) AS __fsql_a4,
    MIN(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 7200000000
        THEN __fsql_e.__fsql_x1
      END
    ) AS __fsql_a5,
    MAX(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 1000000
        THEN __fsql_e.__fsql_x1
      END
    ) AS __fsql_a6,
    COUNT(
      DISTINCT CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 7200000000
        THEN __fsql_e.__fsql_x3
      END
    ) AS __fsql_a7,
    CAST(STDDEV_SAMP(
      CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 31536000000000
        THEN __fsql_e.__fsql_x1
      END
    ) AS DOUBLE) AS __fsql_a8,
    CAST(VARIANCE(__fsql_e.__fsql_x2) AS DOUBLE) AS __fsql_a9,
    ARG_MIN(
      __fsql_e.__fsql_x1,
      CASE
        WHEN NOT __fsql_e.__fsql_x1 IS NULL
        AND __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN {'o': __fsql_e.__fsql_ts, 'c': COALESCE(__fsql_e.__fsql_c, -9223372036854775807), 'v': __fsql_e.__fsql_x1}
      END
    ) AS __fsql_a10,
    ARG_MAX(
      __fsql_e.__fsql_x1,
      CASE
        WHEN NOT __fsql_e.__fsql_x1 IS NULL
        AND __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN {'o': __fsql_e.__fsql_ts, 'c': COALESCE(__fsql_e.__fsql_c, -9223372036854775807), 'v': __fsql_e.__fsql_x1}
      END
    ) AS __fsql_a11,
    ARG_MAX(
      __fsql_e.__fsql_x2,
      CASE
        WHEN NOT __fsql_e.__fsql_x2 IS NULL
        THEN {'o': __fsql_e.__fsql_ts, 'c': COALESCE(__fsql_e.__fsql_c, -9223372036854775807), 'v': __fsql_e.__fsql_x2}
      END
    ) AS __fsql_a12
  FROM __fsql_spine
  INNER JOIN __fsql_activity_src AS __fsql_e
    ON __fsql_spine.user_id = __fsql_e.__fsql_k0
  WHERE
    __fsql_e.__fsql_ts <= __fsql_spine.__fsql_t
    AND (
      __fsql_e.__fsql_c IS NULL OR __fsql_e.__fsql_c <= __fsql_spine.__fsql_t
    )
  GROUP BY
    __fsql_spine.__fsql_rid
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a0, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "txn_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a1, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "amount_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a2
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_groups.__fsql_a3 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_activity_groups.__fsql_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_groups.__fsql_a3 AS BIGINT)
        ELSE CAST(ERROR(
          'fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ' || CAST(__fsql_activity_groups.__fsql_a3 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
        ) AS BIGINT)
      END,
      CAST(0 AS BIGINT)
    )
    ELSE CAST(0 AS BIGINT)
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a4
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a5
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a6, CAST(-1.0 AS DOUBLE))
    ELSE CAST(-1.0 AS DOUBLE)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a7, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a8
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a9
    ELSE CAST(NULL AS DOUBLE)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a10
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a11
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a12
    ELSE CAST(NULL AS BIGINT)
  END AS "qty_last_lifetime"
FROM __fsql_spine
LEFT JOIN __fsql_activity_groups
  ON __fsql_spine.__fsql_rid = __fsql_activity_groups.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
