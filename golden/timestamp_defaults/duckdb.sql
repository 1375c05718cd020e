-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_profile_src AS NOT MATERIALIZED (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    seen_at AS __fsql_f0,
    born AS __fsql_f1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT EPOCH_US(ts) IS NULL
), __fsql_profile_pit AS (
  SELECT
    __fsql_m.*,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0,
    __fsql_e.__fsql_f1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_n.__fsql_ts AS __fsql_p0_ts
    FROM __fsql_spine AS __fsql_q
    ASOF LEFT JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_profile_src
    ) AS __fsql_n
      ON __fsql_q.user_id = __fsql_n.__fsql_k0 AND __fsql_n.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_m
  LEFT JOIN __fsql_profile_src AS __fsql_e
    ON __fsql_m.user_id = __fsql_e.__fsql_k0
    AND __fsql_e.__fsql_ts = __fsql_m.__fsql_p0_ts
    AND __fsql_m.__fsql_p0_ts > __fsql_m.__fsql_t - 86400000000
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_e.__fsql_c DESC, __fsql_e.__fsql_f0 DESC, __fsql_e.__fsql_f1 DESC
    ) = 1
), __fsql_visits_src AS (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    seen_at AS __fsql_x0
  FROM profiles AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(ts) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_visits_good AS (
  SELECT
    __fsql_rid,
    user_id AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT user_id IS NULL
), __fsql_visits_run AS MATERIALIZED (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_n0) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_n0,
    __fsql_rankv
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      0 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      __fsql_x0 AS __fsql_n0,
      __fsql_c,
      __fsql_x0 AS __fsql_rankv
    FROM __fsql_visits_src
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      1 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_n0,
      NULL AS __fsql_c,
      NULL AS __fsql_rankv
    FROM __fsql_visits_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_visits_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n0 END) AS __fsql_n0,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) AS __fsql_r0
  FROM __fsql_visits_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_visits_ranked AS (
  SELECT
    __fsql_n0 AS __fsql_rank,
    __fsql_rankv AS __fsql_v
  FROM __fsql_visits_run
  WHERE
    __fsql_rid IS NULL AND NOT __fsql_rankv IS NULL
), __fsql_visits_rk AS (
  SELECT
    __fsql_q.__fsql_rid,
    MAX(CASE WHEN __fsql_q.__fsql_j = 0 THEN __fsql_e.__fsql_v END) AS __fsql_a0
  FROM (
    SELECT
      __fsql_rid,
      0 AS __fsql_j,
      __fsql_r0 AS __fsql_rank
    FROM __fsql_visits_cnt
    WHERE
      __fsql_n0 > 0
  ) AS __fsql_q
  JOIN __fsql_visits_ranked AS __fsql_e
    ON __fsql_e.__fsql_rank = __fsql_q.__fsql_rank
  GROUP BY
    __fsql_q.__fsql_rid
)
SELECT
  __fsql_o.*
  EXCLUDE (__fsql_order),
  __fsql_o."seen_at" > CAST('2000-01-01 11:59:59.000000' AS TIMESTAMP) AS "after_2000"
FROM (
  SELECT
    __fsql_profile_pit.*
    EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
      AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
      THEN __fsql_profile_pit.__fsql_p0_f0
      ELSE CAST('2000-01-01 12:00:00.000000' AS TIMESTAMP)
    END AS "seen_at",
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
      AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
      THEN __fsql_profile_pit.__fsql_p0_f1
      ELSE CAST('1999-12-31' AS DATE)
    END AS "born",
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN COALESCE(__fsql_visits_rk.__fsql_a0, CAST('2000-01-01 06:30:00.000000' AS TIMESTAMP))
      ELSE CAST('2000-01-01 06:30:00.000000' AS TIMESTAMP)
    END AS "last_seen",
    __fsql_profile_pit.__fsql_rid AS __fsql_order
  FROM __fsql_profile_pit
  LEFT JOIN __fsql_visits_cnt
    ON __fsql_profile_pit.__fsql_rid = __fsql_visits_cnt.__fsql_rid
  LEFT JOIN __fsql_visits_rk
    ON __fsql_profile_pit.__fsql_rid = __fsql_visits_rk.__fsql_rid
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order NULLS FIRST
