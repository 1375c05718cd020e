WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_v0_src AS (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    EPOCH_US(created) AS __fsql_c,
    1 AS __fsql_x0,
    amount AS __fsql_x1,
    amount AS __fsql_x2,
    qty AS __fsql_x3,
    amount AS __fsql_x4,
    amount AS __fsql_x5,
    amount AS __fsql_x6,
    merchant_id AS __fsql_x7,
    amount AS __fsql_x8,
    qty AS __fsql_x9,
    amount AS __fsql_x10,
    amount AS __fsql_x11,
    qty AS __fsql_x12
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND EPOCH_US(ts) <= (
      SELECT
        MAX(__fsql_t)
      FROM __fsql_spine
    )
    AND NOT EPOCH_US(ts) IS NULL
), __fsql_v0_frames AS (
  SELECT
    __fsql_rid,
    __fsql_a0,
    __fsql_a1,
    __fsql_a2,
    __fsql_a3,
    __fsql_a4,
    __fsql_a5,
    __fsql_a6,
    __fsql_a7,
    __fsql_a8,
    __fsql_a9,
    STRUCT_EXTRACT(__fsql_a10, 'v') AS __fsql_a10,
    STRUCT_EXTRACT(__fsql_a11, 'v') AS __fsql_a11,
    STRUCT_EXTRACT(__fsql_a12, 'v') AS __fsql_a12
  FROM (
    SELECT
      __fsql_rid,
      COUNT(__fsql_x0) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a0,
      COUNT(__fsql_x1) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a1,
      SUM(__fsql_x2) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a2,
      SUM(__fsql_x3) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a3,
      CAST(AVG(__fsql_x4) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS DOUBLE) AS __fsql_a4,
      MIN(__fsql_x5) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 7199999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a5,
      MAX(__fsql_x6) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a6,
      COUNT(DISTINCT __fsql_x7) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 7199999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a7,
      CAST(STDDEV_SAMP(__fsql_x8) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 31535999999999 PRECEDING AND CURRENT ROW
      ) AS DOUBLE) AS __fsql_a8,
      CAST(VARIANCE(__fsql_x9) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS DOUBLE) AS __fsql_a9,
      MIN(
        CASE
          WHEN NOT __fsql_x10 IS NULL
          THEN {'o': __fsql_o, 'c': COALESCE(__fsql_c, -9223372036854775807), 'v': __fsql_x10}
        END
      ) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a10,
      MAX(
        CASE
          WHEN NOT __fsql_x11 IS NULL
          THEN {'o': __fsql_o, 'c': COALESCE(__fsql_c, -9223372036854775807), 'v': __fsql_x11}
        END
      ) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a11,
      MAX(
        CASE
          WHEN NOT __fsql_x12 IS NULL
          THEN {'o': __fsql_o, 'c': COALESCE(__fsql_c, -9223372036854775807), 'v': __fsql_x12}
        END
      ) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_a12
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        __fsql_c,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        __fsql_x0,
        __fsql_x1,
        __fsql_x2,
        __fsql_x3,
        __fsql_x4,
        __fsql_x5,
        __fsql_x6,
        __fsql_x7,
        __fsql_x8,
        __fsql_x9,
        __fsql_x10,
        __fsql_x11,
        __fsql_x12
      FROM __fsql_v0_src
      UNION ALL
      SELECT
        user_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        NULL AS __fsql_c,
        __fsql_rid,
        NULL AS __fsql_x0,
        NULL AS __fsql_x1,
        NULL AS __fsql_x2,
        NULL AS __fsql_x3,
        NULL AS __fsql_x4,
        NULL AS __fsql_x5,
        NULL AS __fsql_x6,
        NULL AS __fsql_x7,
        NULL AS __fsql_x8,
        NULL AS __fsql_x9,
        NULL AS __fsql_x10,
        NULL AS __fsql_x11,
        NULL AS __fsql_x12
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT user_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_v0_frames.__fsql_a0, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "txn_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_v0_frames.__fsql_a1, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "amount_count_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a2
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_v0_frames.__fsql_a3, CAST(0 AS BIGINT))
    ELSE CAST(0 AS BIGINT)
  END AS "qty_sum_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a4
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_avg_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a5
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_min_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_v0_frames.__fsql_a6, CAST(-1.0 AS DOUBLE))
    ELSE CAST(-1.0 AS DOUBLE)
  END AS "amount_max_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN COALESCE(__fsql_v0_frames.__fsql_a7, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "merchant_id_count_distinct_2h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a8
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_stddev_365d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a9
    ELSE CAST(NULL AS DOUBLE)
  END AS "qty_variance_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a10
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_first_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a11
    ELSE CAST(NULL AS DOUBLE)
  END AS "amount_last_1h",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_v0_frames.__fsql_a12
    ELSE CAST(NULL AS BIGINT)
  END AS "qty_last_lifetime"
FROM __fsql_spine
LEFT JOIN __fsql_v0_frames
  ON __fsql_spine.__fsql_rid = __fsql_v0_frames.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
