-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff on | names short | env default
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
    CASE
      WHEN SUM(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END * 0.00048828125
      ) IS NULL
      THEN CAST(NULL AS DOUBLE PRECISION)
      WHEN SUM(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END * 0.00048828125
      ) = CAST('NaN' AS DOUBLE PRECISION)
      THEN SUM(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END * 0.00048828125
      )
      WHEN ABS(
        SUM(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
            THEN __fsql_e.__fsql_x1
          END * 0.00048828125
        )
      ) > 8.777798510069901e+304
      THEN CASE
        WHEN SUM(
          CASE
            WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
            THEN __fsql_e.__fsql_x1
          END * 0.00048828125
        ) > 0
        THEN CAST('inf' AS DOUBLE PRECISION)
        ELSE CAST('-inf' AS DOUBLE PRECISION)
      END
      ELSE SUM(
        CASE
          WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
          THEN __fsql_e.__fsql_x1
        END * 0.00048828125
      ) * 2048.0
    END AS __fsql_a2,
    SUM(
      CAST(CASE
        WHEN __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
        THEN __fsql_e.__fsql_x2
      END AS DECIMAL)
    ) AS __fsql_a3,
    CAST(CASE
      WHEN SUM(__fsql_e.__fsql_x1 * 0.00048828125) IS NULL
      THEN CAST(NULL AS DOUBLE PRECISION)
      WHEN SUM(__fsql_e.__fsql_x1 * 0.00048828125) = CAST('NaN' AS DOUBLE PRECISION)
      THEN SUM(__fsql_e.__fsql_x1 * 0.00048828125)
      WHEN ABS(SUM(__fsql_e.__fsql_x1 * 0.00048828125)) = CAST('inf' AS DOUBLE PRECISION)
      THEN SUM(__fsql_e.__fsql_x1 * 0.00048828125)
      ELSE (
        CAST(SUM(__fsql_e.__fsql_x1 * 0.00048828125) AS DOUBLE PRECISION) / NULLIF(COUNT(__fsql_e.__fsql_x1), 0)
      ) * 2048.0
    END AS DOUBLE PRECISION) AS __fsql_a4,
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
    ) AS DOUBLE PRECISION) AS __fsql_a8,
    CAST(VAR_SAMP(__fsql_e.__fsql_x2) AS DOUBLE PRECISION) AS __fsql_a9
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
), __fsql_activity_rank10 AS (
  SELECT
    __fsql_rid,
    __fsql_a10
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_e.__fsql_x1 AS __fsql_a10,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts ASC NULLS FIRST, __fsql_e.__fsql_c ASC NULLS FIRST, __fsql_e.__fsql_x1 ASC NULLS FIRST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_activity_src AS __fsql_e
      ON __fsql_spine.user_id = __fsql_e.__fsql_k0
    WHERE
      __fsql_e.__fsql_ts <= __fsql_spine.__fsql_t
      AND (
        __fsql_e.__fsql_c IS NULL OR __fsql_e.__fsql_c <= __fsql_spine.__fsql_t
      )
      AND __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
      AND NOT __fsql_e.__fsql_x1 IS NULL
  ) AS _t
  WHERE
    _w = 1
), __fsql_activity_rank11 AS (
  SELECT
    __fsql_rid,
    __fsql_a11
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_e.__fsql_x1 AS __fsql_a11,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_x1 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_activity_src AS __fsql_e
      ON __fsql_spine.user_id = __fsql_e.__fsql_k0
    WHERE
      __fsql_e.__fsql_ts <= __fsql_spine.__fsql_t
      AND (
        __fsql_e.__fsql_c IS NULL OR __fsql_e.__fsql_c <= __fsql_spine.__fsql_t
      )
      AND __fsql_e.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
      AND NOT __fsql_e.__fsql_x1 IS NULL
  ) AS _t
  WHERE
    _w = 1
), __fsql_activity_rank12 AS (
  SELECT
    __fsql_rid,
    __fsql_a12
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_e.__fsql_x2 AS __fsql_a12,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_x2 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_activity_src AS __fsql_e
      ON __fsql_spine.user_id = __fsql_e.__fsql_k0
    WHERE
      __fsql_e.__fsql_ts <= __fsql_spine.__fsql_t
      AND (
        __fsql_e.__fsql_c IS NULL OR __fsql_e.__fsql_c <= __fsql_spine.__fsql_t
      )
      AND NOT __fsql_e.__fsql_x2 IS NULL
  ) AS _t
  WHERE
    _w = 1
)
SELECT
  __fsql_spine.spine_id,
  __fsql_spine.user_id,
  __fsql_spine.event_timestamp,
  __fsql_spine.label,
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
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(
      CASE
        WHEN __fsql_activity_groups.__fsql_a3 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_activity_groups.__fsql_a3 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_activity_groups.__fsql_a3 AS BIGINT)
        ELSE CAST(CAST('fsql: sum activity.qty_sum_1h overflows int64 at a spine row: ' || CAST(__fsql_activity_groups.__fsql_a3 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums' AS BIGINT) AS BIGINT)
      END,
      CAST(0 AS BIGINT)
    )
    ELSE CAST(0 AS BIGINT)
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a4
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a5
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a6, CAST(-1.0 AS DOUBLE PRECISION))
    ELSE CAST(-1.0 AS DOUBLE PRECISION)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_activity_groups.__fsql_a7, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a8
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_groups.__fsql_a9
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_rank10.__fsql_a10
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_rank11.__fsql_a11
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_activity_rank12.__fsql_a12
    ELSE CAST(NULL AS BIGINT)
  END AS "qty_last_lifetime"
FROM __fsql_spine
LEFT JOIN __fsql_activity_groups
  ON __fsql_spine.__fsql_rid = __fsql_activity_groups.__fsql_rid
LEFT JOIN __fsql_activity_rank10
  ON __fsql_spine.__fsql_rid = __fsql_activity_rank10.__fsql_rid
LEFT JOIN __fsql_activity_rank11
  ON __fsql_spine.__fsql_rid = __fsql_activity_rank11.__fsql_rid
LEFT JOIN __fsql_activity_rank12
  ON __fsql_spine.__fsql_rid = __fsql_activity_rank12.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
