-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, user_id, event_timestamp) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_sums_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    val AS __fsql_x0,
    CASE WHEN user_id <> 2 THEN val END AS __fsql_x1
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_sums_link AS (
  SELECT
    __fsql_whole.*,
    __fsql_p0_a0,
    __fsql_p0_a1,
    __fsql_p0_a2,
    __fsql_p0_a3,
    __fsql_p0_a4
  FROM (
    SELECT
      *,
      __fsql_lv0 AS __fsql_p0_a4
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
            *,
            SUM(CAST(__fsql_x0 AS NUMERIC)) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt
              RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a0,
            SUM(CAST(__fsql_x1 AS NUMERIC)) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a1,
            SUM(CAST(__fsql_x0 AS NUMERIC)) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a2,
            MAX(__fsql_x0) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a3
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
                  __fsql_x1,
                  CAST(NULL AS INT64) AS __fsql_rid,
                  CAST(NULL AS INT64) AS __fsql_t,
                  __fsql_ts AS __fsql_mt,
                  NULL AS __fsql_whole
                FROM __fsql_sums_src
                UNION ALL
                SELECT
                  __fsql_q.user_id AS __fsql_k0,
                  NULL AS __fsql_ts,
                  NULL AS __fsql_c,
                  NULL AS __fsql_x0,
                  NULL AS __fsql_x1,
                  __fsql_q.__fsql_rid,
                  __fsql_q.__fsql_t,
                  __fsql_q.__fsql_t AS __fsql_mt,
                  __fsql_q AS __fsql_whole
                FROM __fsql_spine AS __fsql_q
              ) AS __fsql_r
            ) AS __fsql_rp
            WHERE
              NOT __fsql_rid IS NULL OR (
                __fsql_ts <= __fsql_khi
              )
          ) AS __fsql_m
        ) AS __fsql_j
      ) AS __fsql_st
    ) AS __fsql_rc
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_pk
)
SELECT
  __fsql_sums_link.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4),
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_link.__fsql_p0_a0 IS NULL
      THEN CAST(NULL AS INT64)
      WHEN __fsql_sums_link.__fsql_p0_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_link.__fsql_p0_a0 AS INT64)
      ELSE CAST(ERROR(
        CONCAT(
          'fsql: sum sums.sum_1s overflows int64 at a spine row: ',
          CAST(__fsql_sums_link.__fsql_p0_a0 AS STRING),
          '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
        )
      ) AS INT64)
    END
    ELSE CAST(NULL AS INT64)
  END AS `sum_1s`,
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_link.__fsql_p0_a1 IS NULL
      THEN CAST(NULL AS INT64)
      WHEN __fsql_sums_link.__fsql_p0_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_link.__fsql_p0_a1 AS INT64)
      ELSE CAST(ERROR(
        CONCAT(
          'fsql: sum sums.sum_1d overflows int64 at a spine row: ',
          CAST(__fsql_sums_link.__fsql_p0_a1 AS STRING),
          '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
        )
      ) AS INT64)
    END
    ELSE CAST(NULL AS INT64)
  END AS `sum_1d`,
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CAST(__fsql_sums_link.__fsql_p0_a2 AS BIGNUMERIC)
    ELSE CAST(NULL AS BIGNUMERIC)
  END AS `sum_lifetime`,
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN __fsql_sums_link.__fsql_p0_a3
    ELSE CAST(NULL AS INT64)
  END AS `max_1d`,
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN __fsql_sums_link.__fsql_p0_a4
    ELSE CAST(NULL AS INT64)
  END AS `last_val`
FROM __fsql_sums_link
ORDER BY
  __fsql_sums_link.__fsql_rid
