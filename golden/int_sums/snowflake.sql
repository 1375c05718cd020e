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
    val AS __fsql_x0,
    CASE WHEN user_id <> 2 THEN val END AS __fsql_x1
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
), __fsql_sums_link AS (
  SELECT
    *
    EXCLUDE (__fsql_k0, __fsql_ts, __fsql_c, __fsql_x0, __fsql_x1, __fsql_mt, __fsql_wi, __fsql_o, __fsql_side, __fsql_klo, __fsql_khi, __fsql_lv0, __fsql_lo0)
  FROM (
    SELECT
      *,
      __fsql_lv0 AS __fsql_p0_a4
    FROM (
      SELECT
        *,
        LAST_VALUE(__fsql_x0) IGNORE NULLS OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_lv0,
        LAST_VALUE(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
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
            SUM(CAST(__fsql_x0 AS DECIMAL(38, 0))) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt NULLS FIRST
              RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a0,
            SUM(CAST(__fsql_x1 AS DECIMAL(38, 0))) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt NULLS FIRST
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a1,
            SUM(CAST(__fsql_x0 AS DECIMAL(38, 0))) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt NULLS FIRST
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS __fsql_p0_a2,
            MAX(__fsql_x0) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_mt NULLS FIRST
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
                  __fsql_q.*,
                  COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_k0,
                  __fsql_e.__fsql_ts,
                  __fsql_e.__fsql_c,
                  __fsql_e.__fsql_x0,
                  __fsql_e.__fsql_x1,
                  COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_mt
                FROM __fsql_spine AS __fsql_q
                FULL JOIN (
                  SELECT
                    __fsql_k0,
                    __fsql_ts,
                    __fsql_c,
                    CAST(NULL AS BIGINT) AS __fsql_none,
                    __fsql_x0,
                    __fsql_x1
                  FROM __fsql_sums_src
                ) AS __fsql_e
                  ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
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
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4),
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_link.__fsql_p0_a0 IS NULL
      THEN CAST(NULL AS DECIMAL(38, 0))
      WHEN __fsql_sums_link.__fsql_p0_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_link.__fsql_p0_a0 AS DECIMAL(38, 0))
      ELSE CAST(TO_NUMBER(
        CONCAT(
          'fsql: sum sums.sum_1s overflows int64 at a spine row: ',
          CAST(__fsql_sums_link.__fsql_p0_a0 AS VARCHAR),
          '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
        )
      ) AS DECIMAL(38, 0))
    END
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "sum_1s",
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CASE
      WHEN __fsql_sums_link.__fsql_p0_a1 IS NULL
      THEN CAST(NULL AS DECIMAL(38, 0))
      WHEN __fsql_sums_link.__fsql_p0_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
      THEN CAST(__fsql_sums_link.__fsql_p0_a1 AS DECIMAL(38, 0))
      ELSE CAST(TO_NUMBER(
        CONCAT(
          'fsql: sum sums.sum_1d overflows int64 at a spine row: ',
          CAST(__fsql_sums_link.__fsql_p0_a1 AS VARCHAR),
          '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
        )
      ) AS DECIMAL(38, 0))
    END
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "sum_1d",
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN CAST(__fsql_sums_link.__fsql_p0_a2 AS DECIMAL(30, 0))
    ELSE CAST(NULL AS DECIMAL(30, 0))
  END AS "sum_lifetime",
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN __fsql_sums_link.__fsql_p0_a3
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "max_1d",
  CASE
    WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
    THEN __fsql_sums_link.__fsql_p0_a4
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "last_val"
FROM __fsql_sums_link
ORDER BY
  __fsql_sums_link.__fsql_rid NULLS FIRST
