-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names full | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY trip_id, origin_id, destination_id, event_timestamp) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_origin_src AS (
  SELECT
    location_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    temp_c AS __fsql_f0,
    rain AS __fsql_f1
  FROM weather AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT location_id IS NULL
    AND UNIX_MICROS(ts) <= __fsql_b.__fsql_hi
    AND UNIX_MICROS(ts) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_origin_pit AS (
  SELECT
    __fsql_rid,
    __fsql_w.ts AS __fsql_ts,
    __fsql_w.v0 AS __fsql_f0,
    __fsql_w.v1 AS __fsql_f1
  FROM (
    SELECT
      __fsql_rid,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, IS_NAN(__fsql_f0) ASC, __fsql_f0 ASC, __fsql_f1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        __fsql_f1,
        CAST(NULL AS INT64) AS __fsql_rid,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_origin_src
      UNION ALL
      SELECT
        origin_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_rid,
        NULL AS __fsql_row
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT origin_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_rid IS NULL
), __fsql_destination_src AS (
  SELECT
    location_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    temp_c AS __fsql_f0,
    rain AS __fsql_f1
  FROM weather AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT location_id IS NULL
    AND UNIX_MICROS(ts) <= __fsql_b.__fsql_hi
    AND UNIX_MICROS(ts) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_destination_pit AS (
  SELECT
    __fsql_rid,
    __fsql_w.ts AS __fsql_ts,
    __fsql_w.v0 AS __fsql_f0,
    __fsql_w.v1 AS __fsql_f1
  FROM (
    SELECT
      __fsql_rid,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, IS_NAN(__fsql_f0) ASC, __fsql_f0 ASC, __fsql_f1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        __fsql_f1,
        CAST(NULL AS INT64) AS __fsql_rid,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_destination_src
      UNION ALL
      SELECT
        destination_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_rid,
        NULL AS __fsql_row
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT destination_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_rid IS NULL
)
SELECT
  __fsql_spine.*
  EXCEPT (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_origin_pit.__fsql_ts IS NULL
    AND __fsql_origin_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_origin_pit.__fsql_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `origin__temp_c`,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_origin_pit.__fsql_ts IS NULL
    AND __fsql_origin_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_origin_pit.__fsql_f1
    ELSE CAST(NULL AS BOOL)
  END AS `origin__rain`,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_destination_pit.__fsql_ts IS NULL
    AND __fsql_destination_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_destination_pit.__fsql_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `destination__temp_c`
FROM __fsql_spine
LEFT JOIN __fsql_origin_pit
  ON __fsql_spine.__fsql_rid = __fsql_origin_pit.__fsql_rid
LEFT JOIN __fsql_destination_pit
  ON __fsql_spine.__fsql_rid = __fsql_destination_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid
