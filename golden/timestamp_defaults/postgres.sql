-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_profile_base AS MATERIALIZED (
  SELECT
    user_id,
    seen_at,
    born,
    ts
  FROM profiles
), __fsql_profile_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    seen_at AS __fsql_f0,
    born AS __fsql_f1
  FROM __fsql_profile_base AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_profile_pit AS (
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
    LEFT JOIN __fsql_profile_src AS __fsql_e
      ON __fsql_q.user_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 86400000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
), __fsql_visits_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    seen_at AS __fsql_x0
  FROM __fsql_profile_base AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_visits_nav AS (
  SELECT
    __fsql_rid,
    CASE WHEN __fsql_lo0 > __fsql_t - 86400000000 THEN __fsql_lv0 END AS __fsql_a0
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
        FROM __fsql_visits_src
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
  __fsql_o.spine_id,
  __fsql_o.user_id,
  __fsql_o.event_timestamp,
  __fsql_o."seen_at",
  __fsql_o."born",
  __fsql_o."last_seen",
  __fsql_o."seen_at" > CAST('2000-01-01 11:59:59.000000' AS TIMESTAMP) AS "after_2000"
FROM (
  SELECT
    __fsql_profile_pit.spine_id,
    __fsql_profile_pit.user_id,
    __fsql_profile_pit.event_timestamp,
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
      THEN COALESCE(__fsql_visits_nav.__fsql_a0, CAST('2000-01-01 06:30:00.000000' AS TIMESTAMP))
      ELSE CAST('2000-01-01 06:30:00.000000' AS TIMESTAMP)
    END AS "last_seen",
    __fsql_profile_pit.__fsql_rid AS __fsql_order
  FROM __fsql_profile_pit
  LEFT JOIN __fsql_visits_nav
    ON __fsql_profile_pit.__fsql_rid = __fsql_visits_nav.__fsql_rid
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order NULLS FIRST
