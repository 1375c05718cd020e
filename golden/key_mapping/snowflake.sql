-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names full | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY trip_id NULLS FIRST, origin_id NULLS FIRST, destination_id NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_origin_src AS (
  SELECT
    *
  FROM (
    SELECT
      location_id AS __fsql_k0,
      DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      temp_c AS __fsql_f0,
      rain AS __fsql_f1
    FROM weather AS __fsql_s
    WHERE
      NOT location_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST, __fsql_f1 DESC NULLS LAST
    ) = 1
), __fsql_origin_probes AS (
  SELECT
    __fsql_q.*,
    __fsql_l.__fsql_lk,
    CASE
      WHEN __fsql_l.__fsql_lk = 0
      THEN __fsql_q.origin_id
      WHEN __fsql_l.__fsql_lk = 1
      THEN __fsql_q.destination_id
    END AS __fsql_mk0
  FROM __fsql_spine AS __fsql_q
  CROSS JOIN (VALUES
    (0),
    (1)) AS __fsql_l(__fsql_lk)
), __fsql_origin_pit AS (
  SELECT
    __fsql_q.*,
    __fsql_e.__fsql_ts AS __fsql_p0_ts,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0,
    __fsql_e.__fsql_f1 AS __fsql_p0_f1
  FROM __fsql_origin_probes AS __fsql_q
  ASOF JOIN __fsql_origin_src AS __fsql_e MATCH_CONDITION (__fsql_q.__fsql_t >= __fsql_e.__fsql_ts)
    ON __fsql_q.__fsql_mk0 = __fsql_e.__fsql_k0
), __fsql_origin_spread AS (
  SELECT
    *
    EXCLUDE (__fsql_lk, __fsql_mk0)
  FROM (
    SELECT
      *,
      FIRST_VALUE(__fsql_p0_ts) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p1_ts,
      FIRST_VALUE(__fsql_p0_f0) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p1_f0,
      FIRST_VALUE(__fsql_p0_f1) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p1_f1
    FROM __fsql_origin_pit AS __fsql_sp
  ) AS __fsql_sq
  WHERE
    __fsql_lk = 0
)
SELECT
  __fsql_origin_spread.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1, __fsql_p1_ts, __fsql_p1_f0, __fsql_p1_f1),
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p0_ts IS NULL
    AND __fsql_origin_spread.__fsql_p0_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "origin__temp_c",
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p0_ts IS NULL
    AND __fsql_origin_spread.__fsql_p0_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p0_f1
    ELSE CAST(NULL AS BOOLEAN)
  END AS "origin__rain",
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p1_ts IS NULL
    AND __fsql_origin_spread.__fsql_p1_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p1_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "destination__temp_c"
FROM __fsql_origin_spread
ORDER BY
  __fsql_origin_spread.__fsql_rid NULLS FIRST
