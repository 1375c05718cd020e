-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_sums_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
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
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_sums_frames AS (
  SELECT
    __fsql_rid,
    __fsql_a0,
    __fsql_a1,
    __fsql_a2,
    __fsql_a3
  FROM (
    SELECT
      __fsql_rid,
      SUM(CAST(__fsql_x0 AS DECIMAL)) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a0,
      SUM(CAST(__fsql_x1 AS DECIMAL)) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a1,
      SUM(CAST(__fsql_x0 AS DECIMAL)) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_a2,
      MAX(__fsql_x0) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a3
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        __fsql_c,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        __fsql_x0,
        __fsql_x1
      FROM __fsql_sums_src
      UNION ALL
      SELECT
        user_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        NULL AS __fsql_c,
        __fsql_rid,
        NULL AS __fsql_x0,
        NULL AS __fsql_x1
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT user_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
), __fsql_sums_nav AS (
  SELECT
    __fsql_rid,
    __fsql_lv0 AS __fsql_a4
  FROM (
    SELECT
      __fsql_rid,
      __fsql_wi,
      __fsql_t,
      FIRST_VALUE(__fsql_x0) OVER (
        PARTITION BY __fsql_k0, __fsql_g0
        ORDER BY CASE WHEN __fsql_x0 IS NULL THEN 1 ELSE 0 END NULLS FIRST
      ) AS __fsql_lv0,
      MAX(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) OVER (PARTITION BY __fsql_k0, __fsql_g0) AS __fsql_lo0
    FROM (
      SELECT
        __fsql_k0,
        __fsql_o,
        __fsql_rid,
        __fsql_wi,
        __fsql_t,
        __fsql_x0,
        COUNT(__fsql_x0) OVER (
          ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_g0
      FROM (
        SELECT
          __fsql_k0,
          __fsql_ts AS __fsql_o,
          0 AS __fsql_side,
          __fsql_c,
          CAST(NULL AS BIGINT) AS __fsql_rid,
          CAST(NULL AS INT) AS __fsql_wi,
          CAST(NULL AS BIGINT) AS __fsql_t,
          __fsql_x0
        FROM __fsql_sums_src
        UNION ALL
        SELECT
          __fsql_spine.user_id AS __fsql_k0,
          __fsql_spine.__fsql_t AS __fsql_o,
          1 AS __fsql_side,
          NULL AS __fsql_c,
          __fsql_spine.__fsql_rid,
          0 AS __fsql_wi,
          __fsql_spine.__fsql_t,
          NULL AS __fsql_x0
        FROM __fsql_spine
        WHERE
          NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      ) AS __fsql_u
    ) AS __fsql_n
  ) AS __fsql_p
  WHERE
    NOT __fsql_rid IS NULL
)
SELECT
  __fsql_spine.spine_id,
  __fsql_spine.user_id,
  __fsql_spine.event_timestamp,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_frames.__fsql_a0 IS NULL
      THEN CAST(NULL AS BIGINT)
      WHEN __fsql_sums_frames.__fsql_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_frames.__fsql_a0 AS BIGINT)
      ELSE CAST(CAST('fsql: sum sums.sum_1s overflows int64 at a spine row: ' || CAST(__fsql_sums_frames.__fsql_a0 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums' AS BIGINT) AS BIGINT)
    END
    ELSE CAST(NULL AS BIGINT)
  END AS "sum_1s",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_frames.__fsql_a1 IS NULL
      THEN CAST(NULL AS BIGINT)
      WHEN __fsql_sums_frames.__fsql_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_frames.__fsql_a1 AS BIGINT)
      ELSE CAST(CAST('fsql: sum sums.sum_1d overflows int64 at a spine row: ' || CAST(__fsql_sums_frames.__fsql_a1 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums' AS BIGINT) AS BIGINT)
    END
    ELSE CAST(NULL AS BIGINT)
  END AS "sum_1d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN CAST(__fsql_sums_frames.__fsql_a2 AS DECIMAL(30, 0))
    ELSE CAST(NULL AS DECIMAL(30, 0))
  END AS "sum_lifetime",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_sums_frames.__fsql_a3
    ELSE CAST(NULL AS BIGINT)
  END AS "max_1d",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
    THEN __fsql_sums_nav.__fsql_a4
    ELSE CAST(NULL AS BIGINT)
  END AS "last_val"
FROM __fsql_spine
LEFT JOIN __fsql_sums_frames
  ON __fsql_spine.__fsql_rid = __fsql_sums_frames.__fsql_rid
LEFT JOIN __fsql_sums_nav
  ON __fsql_spine.__fsql_rid = __fsql_sums_nav.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
