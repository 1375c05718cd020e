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
  WHERE
    NOT location_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_origin_pit AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_e.__fsql_ts AS __fsql_p0_ts,
      __fsql_e.__fsql_f0 AS __fsql_p0_f0,
      __fsql_e.__fsql_f1 AS __fsql_p0_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_f0 DESC NULLS LAST, __fsql_e.__fsql_f1 DESC NULLS LAST
      ) AS __fsql_p0_rank
    FROM __fsql_spine AS __fsql_q
    LEFT JOIN __fsql_origin_src AS __fsql_e
      ON __fsql_q.origin_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 10800000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
), __fsql_destination_pit AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_e.__fsql_ts AS __fsql_p1_ts,
      __fsql_e.__fsql_f0 AS __fsql_p1_f0,
      __fsql_e.__fsql_f1 AS __fsql_p1_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_f0 DESC NULLS LAST, __fsql_e.__fsql_f1 DESC NULLS LAST
      ) AS __fsql_p1_rank
    FROM __fsql_origin_pit AS __fsql_q
    LEFT JOIN __fsql_origin_src AS __fsql_e
      ON __fsql_q.destination_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 10800000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p1_rank = 1
)
SELECT
  __fsql_destination_pit.trip_id,
  __fsql_destination_pit.origin_id,
  __fsql_destination_pit.destination_id,
  __fsql_destination_pit.event_timestamp,
  CASE
    WHEN NOT __fsql_destination_pit.__fsql_t IS NULL
    AND NOT __fsql_destination_pit.__fsql_p0_ts IS NULL
    AND __fsql_destination_pit.__fsql_p0_ts > __fsql_destination_pit.__fsql_t - 10800000000
    THEN __fsql_destination_pit.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "origin__temp_c",
  CASE
    WHEN NOT __fsql_destination_pit.__fsql_t IS NULL
    AND NOT __fsql_destination_pit.__fsql_p0_ts IS NULL
    AND __fsql_destination_pit.__fsql_p0_ts > __fsql_destination_pit.__fsql_t - 10800000000
    THEN __fsql_destination_pit.__fsql_p0_f1
    ELSE CAST(NULL AS BOOLEAN)
  END AS "origin__rain",
  CASE
    WHEN NOT __fsql_destination_pit.__fsql_t IS NULL
    AND NOT __fsql_destination_pit.__fsql_p1_ts IS NULL
    AND __fsql_destination_pit.__fsql_p1_ts > __fsql_destination_pit.__fsql_t - 10800000000
    THEN __fsql_destination_pit.__fsql_p1_f0
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "destination__temp_c"
FROM __fsql_destination_pit
ORDER BY
  __fsql_destination_pit.__fsql_rid NULLS FIRST
