-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_sums_src AS (
  SELECT
    user_id AS __fsql_k0,
    DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    x AS __fsql_x0
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
), __fsql_sums_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      SUM(__fsql_p0_x0) OVER (
        PARTITION BY __fsql_p0_k0
        ORDER BY __fsql_p0_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p0_a0,
      SUM(__fsql_p0_x0) OVER (
        PARTITION BY __fsql_p0_k0
        ORDER BY __fsql_p0_o NULLS FIRST
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_p0_a1
    FROM (
      SELECT
        __fsql_q.*,
        COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_p0_k0,
        COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_p0_o,
        __fsql_e.__fsql_c AS __fsql_p0_c,
        __fsql_e.__fsql_x0 AS __fsql_p0_x0
      FROM __fsql_spine AS __fsql_q
      FULL JOIN (
        SELECT
          __fsql_k0,
          __fsql_ts,
          __fsql_c,
          CAST(NULL AS BIGINT) AS __fsql_none,
          __fsql_x0
        FROM __fsql_sums_src
      ) AS __fsql_e
        ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
    ) AS __fsql_j
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
)
SELECT
  __fsql_sums_frames.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_k0, __fsql_p0_o, __fsql_p0_c, __fsql_p0_x0, __fsql_p0_a0, __fsql_p0_a1),
  CASE
    WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
    AND NOT __fsql_sums_frames.user_id IS NULL
    THEN __fsql_sums_frames.__fsql_p0_a0
    ELSE CAST(NULL AS DOUBLE)
  END AS "x_sum_1d",
  CASE
    WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
    AND NOT __fsql_sums_frames.user_id IS NULL
    THEN __fsql_sums_frames.__fsql_p0_a1
    ELSE CAST(NULL AS DOUBLE)
  END AS "x_sum"
FROM __fsql_sums_frames
ORDER BY
  __fsql_sums_frames.__fsql_rid NULLS FIRST
