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
  WHERE
    NOT location_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
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
  CROSS JOIN UNNEST([STRUCT(0 AS __fsql_lk), STRUCT(1 AS __fsql_lk)]) AS __fsql_l
), __fsql_origin_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p0_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p0_f0,
    __fsql_x.__fsql_w.v1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_whole,
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
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_origin_src
      UNION ALL
      SELECT
        __fsql_q.__fsql_mk0 AS __fsql_k0,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_origin_probes AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
), __fsql_origin_spread AS (
  SELECT
    *
    EXCEPT (__fsql_lk, __fsql_mk0)
  FROM (
    SELECT
      *,
      FIRST_VALUE(__fsql_p0_ts) OVER (PARTITION BY __fsql_rid ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END) AS __fsql_p1_ts,
      FIRST_VALUE(__fsql_p0_f0) OVER (PARTITION BY __fsql_rid ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END) AS __fsql_p1_f0,
      FIRST_VALUE(__fsql_p0_f1) OVER (PARTITION BY __fsql_rid ORDER BY CASE WHEN __fsql_lk = 1 THEN 0 ELSE 1 END) AS __fsql_p1_f1
    FROM __fsql_origin_pit AS __fsql_sp
  ) AS __fsql_sq
  WHERE
    __fsql_lk = 0
)
SELECT
  __fsql_origin_spread.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1, __fsql_p1_ts, __fsql_p1_f0, __fsql_p1_f1),
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p0_ts IS NULL
    AND __fsql_origin_spread.__fsql_p0_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p0_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `origin__temp_c`,
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p0_ts IS NULL
    AND __fsql_origin_spread.__fsql_p0_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p0_f1
    ELSE CAST(NULL AS BOOL)
  END AS `origin__rain`,
  CASE
    WHEN NOT __fsql_origin_spread.__fsql_t IS NULL
    AND NOT __fsql_origin_spread.__fsql_p1_ts IS NULL
    AND __fsql_origin_spread.__fsql_p1_ts > __fsql_origin_spread.__fsql_t - 10800000000
    THEN __fsql_origin_spread.__fsql_p1_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `destination__temp_c`
FROM __fsql_origin_spread
ORDER BY
  __fsql_origin_spread.__fsql_rid
