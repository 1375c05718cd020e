-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, user_id, event_timestamp) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_visits_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    seen_at AS __fsql_x0,
    seen_at AS __fsql_p0_v0,
    born AS __fsql_p0_v1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_visits_link AS (
  SELECT
    __fsql_whole.*,
    __fsql_p1_a0,
    __fsql_p0_ts,
    __fsql_p0_f0,
    __fsql_p0_f1
  FROM (
    SELECT
      *,
      CASE WHEN __fsql_lo0 > __fsql_t - 86400000000 THEN __fsql_lv0 END AS __fsql_p1_a0
    FROM (
      SELECT
        *,
        LAST_VALUE(__fsql_x0 IGNORE NULLS) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x0
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_lv0,
        LAST_VALUE(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END IGNORE NULLS) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x0
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_lo0
      FROM (
        SELECT
          *,
          0 AS __fsql_wi,
          COALESCE(__fsql_ts, __fsql_t) AS __fsql_o,
          CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END AS __fsql_side
        FROM (
          SELECT
            *
          FROM (
            SELECT
              *,
              FIRST_VALUE(__fsql_ts) OVER (
                PARTITION BY __fsql_k0, __fsql_p0_g
                ORDER BY CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END
              ) AS __fsql_p0_ts,
              FIRST_VALUE(__fsql_p0_v0) OVER (
                PARTITION BY __fsql_k0, __fsql_p0_g
                ORDER BY CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END
              ) AS __fsql_p0_f0,
              FIRST_VALUE(__fsql_p0_v1) OVER (
                PARTITION BY __fsql_k0, __fsql_p0_g
                ORDER BY CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END
              ) AS __fsql_p0_f1
            FROM (
              SELECT
                *,
                COUNT(CASE WHEN __fsql_rid IS NULL THEN 1 END) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt, CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END, __fsql_c, __fsql_p0_v0, __fsql_p0_v1
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_g
              FROM (
                SELECT
                  *
                FROM (
                  SELECT
                    *,
                    MIN(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_klo,
                    MAX(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_khi
                  FROM (
                    SELECT
                      __fsql_k0,
                      __fsql_ts,
                      __fsql_c,
                      __fsql_x0,
                      __fsql_p0_v0,
                      __fsql_p0_v1,
                      CAST(NULL AS INT64) AS __fsql_rid,
                      CAST(NULL AS INT64) AS __fsql_t,
                      __fsql_ts AS __fsql_mt,
                      NULL AS __fsql_whole
                    FROM __fsql_visits_src
                    UNION ALL
                    SELECT
                      __fsql_q.user_id AS __fsql_k0,
                      NULL AS __fsql_ts,
                      NULL AS __fsql_c,
                      NULL AS __fsql_x0,
                      NULL AS __fsql_p0_v0,
                      NULL AS __fsql_p0_v1,
                      __fsql_q.__fsql_rid,
                      __fsql_q.__fsql_t,
                      __fsql_q.__fsql_t AS __fsql_mt,
                      __fsql_q AS __fsql_whole
                    FROM __fsql_spine AS __fsql_q
                  ) AS __fsql_r
                ) AS __fsql_rp
                WHERE
                  NOT __fsql_rid IS NULL
                  OR (
                    __fsql_ts <= __fsql_khi AND __fsql_ts >= __fsql_klo - 86400000000
                  )
              ) AS __fsql_sg
            ) AS __fsql_sw
          ) AS __fsql_m
        ) AS __fsql_j
      ) AS __fsql_st
    ) AS __fsql_rc
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_pk
)
SELECT
  __fsql_o.*
  EXCEPT (__fsql_order),
  __fsql_o.`seen_at` > TIMESTAMP('2000-01-01 11:59:59.000000', 'UTC') AS `after_2000`
FROM (
  SELECT
    __fsql_visits_link.*
    EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1, __fsql_p1_a0),
    CASE
      WHEN NOT __fsql_visits_link.__fsql_t IS NULL
      AND NOT __fsql_visits_link.__fsql_p0_ts IS NULL
      AND __fsql_visits_link.__fsql_p0_ts > __fsql_visits_link.__fsql_t - 86400000000
      THEN __fsql_visits_link.__fsql_p0_f0
      ELSE TIMESTAMP('2000-01-01 12:00:00.000000', 'UTC')
    END AS `seen_at`,
    CASE
      WHEN NOT __fsql_visits_link.__fsql_t IS NULL
      AND NOT __fsql_visits_link.__fsql_p0_ts IS NULL
      AND __fsql_visits_link.__fsql_p0_ts > __fsql_visits_link.__fsql_t - 86400000000
      THEN __fsql_visits_link.__fsql_p0_f1
      ELSE CAST('1999-12-31' AS DATE)
    END AS `born`,
    CASE
      WHEN NOT __fsql_visits_link.__fsql_t IS NULL
      AND NOT __fsql_visits_link.user_id IS NULL
      THEN COALESCE(__fsql_visits_link.__fsql_p1_a0, TIMESTAMP('2000-01-01 06:30:00.000000', 'UTC'))
      ELSE TIMESTAMP('2000-01-01 06:30:00.000000', 'UTC')
    END AS `last_seen`,
    __fsql_visits_link.__fsql_rid AS __fsql_order
  FROM __fsql_visits_link
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order
