-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names full | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY trip_id NULLS FIRST, origin_id NULLS FIRST, destination_id NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_origin_src AS NOT MATERIALIZED (
  SELECT
    location_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
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
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(ts) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_origin_pit AS (
  SELECT
    __fsql_m.__fsql_rid,
    __fsql_l.__fsql_ts,
    __fsql_l.__fsql_f0,
    __fsql_l.__fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_spine.origin_id AS __fsql_k0,
      __fsql_n.__fsql_ts
    FROM __fsql_spine
    ASOF JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_origin_src
    ) AS __fsql_n
      ON __fsql_spine.origin_id = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_spine.__fsql_t
    WHERE
      __fsql_n.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
  ) AS __fsql_m
  INNER JOIN __fsql_origin_src AS __fsql_l
    ON __fsql_l.__fsql_k0 = __fsql_m.__fsql_k0
    AND __fsql_l.__fsql_ts = __fsql_m.__fsql_ts
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_l.__fsql_c DESC, __fsql_l.__fsql_f0 DESC, __fsql_l.__fsql_f1 DESC
    ) = 1
), __fsql_destination_src AS NOT MATERIALIZED (
  SELECT
    location_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
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
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(ts) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_destination_pit AS (
  SELECT
    __fsql_m.__fsql_rid,
    __fsql_l.__fsql_ts,
    __fsql_l.__fsql_f0,
    __fsql_l.__fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_spine.destination_id AS __fsql_k0,
      __fsql_n.__fsql_ts
    FROM __fsql_spine
    ASOF JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_destination_src
    ) AS __fsql_n
      ON __fsql_spine.destination_id = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_spine.__fsql_t
    WHERE
      __fsql_n.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
  ) AS __fsql_m
  INNER JOIN __fsql_destination_src AS __fsql_l
    ON __fsql_l.__fsql_k0 = __fsql_m.__fsql_k0
    AND __fsql_l.__fsql_ts = __fsql_m.__fsql_ts
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_l.__fsql_c DESC, __fsql_l.__fsql_f0 DESC, __fsql_l.__fsql_f1 DESC
    ) = 1
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_origin_pit.__fsql_ts IS NULL
    AND __fsql_origin_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_origin_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "origin__temp_c",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_origin_pit.__fsql_ts IS NULL
    AND __fsql_origin_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_origin_pit.__fsql_f1
    ELSE CAST(NULL AS BOOLEAN)
  END AS "origin__rain",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_destination_pit.__fsql_ts IS NULL
    AND __fsql_destination_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_destination_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "destination__temp_c"
FROM __fsql_spine
LEFT JOIN __fsql_origin_pit
  ON __fsql_spine.__fsql_rid = __fsql_origin_pit.__fsql_rid
LEFT JOIN __fsql_destination_pit
  ON __fsql_spine.__fsql_rid = __fsql_destination_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
