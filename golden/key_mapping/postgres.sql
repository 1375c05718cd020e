-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names full | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY trip_id NULLS FIRST, origin_id NULLS FIRST, destination_id NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_origin_src AS (
  SELECT
    location_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
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
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_origin_pit AS (
  SELECT
    __fsql_rid,
    __fsql_ts,
    __fsql_f0,
    __fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_l.__fsql_ts,
      __fsql_l.__fsql_f0,
      __fsql_l.__fsql_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_l.__fsql_ts DESC NULLS LAST, __fsql_l.__fsql_c DESC NULLS LAST, __fsql_l.__fsql_f0 DESC NULLS LAST, __fsql_l.__fsql_f1 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_origin_src AS __fsql_l
      ON __fsql_spine.origin_id = __fsql_l.__fsql_k0
    WHERE
      __fsql_l.__fsql_ts <= __fsql_spine.__fsql_t
      AND __fsql_l.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
  ) AS _t
  WHERE
    _w = 1
), __fsql_destination_src AS (
  SELECT
    location_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
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
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) >= __fsql_b.__fsql_lo - 10800000000
), __fsql_destination_pit AS (
  SELECT
    __fsql_rid,
    __fsql_ts,
    __fsql_f0,
    __fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_l.__fsql_ts,
      __fsql_l.__fsql_f0,
      __fsql_l.__fsql_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_l.__fsql_ts DESC NULLS LAST, __fsql_l.__fsql_c DESC NULLS LAST, __fsql_l.__fsql_f0 DESC NULLS LAST, __fsql_l.__fsql_f1 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_destination_src AS __fsql_l
      ON __fsql_spine.destination_id = __fsql_l.__fsql_k0
    WHERE
      __fsql_l.__fsql_ts <= __fsql_spine.__fsql_t
      AND __fsql_l.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
  ) AS _t
  WHERE
    _w = 1
)
SELECT
  __fsql_spine.trip_id,
  __fsql_spine.origin_id,
  __fsql_spine.destination_id,
  __fsql_spine.event_timestamp,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_origin_pit.__fsql_ts IS NULL
    AND __fsql_origin_pit.__fsql_ts > __fsql_spine.__fsql_t - 10800000000
    THEN __fsql_origin_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE PRECISION)
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
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "destination__temp_c"
FROM __fsql_spine
LEFT JOIN __fsql_origin_pit
  ON __fsql_spine.__fsql_rid = __fsql_origin_pit.__fsql_rid
LEFT JOIN __fsql_destination_pit
  ON __fsql_spine.__fsql_rid = __fsql_destination_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
