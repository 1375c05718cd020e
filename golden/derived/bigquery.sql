-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, user_id, event_timestamp, amount) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    amount AS __fsql_x0,
    CASE WHEN amount > 0 THEN amount END AS __fsql_x1,
    CASE WHEN category = 'food' THEN 1 END AS __fsql_x2
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_activity_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      CAST(CASE
        WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS FLOAT64)
        WHEN IS_NAN(
          SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        )
        THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) = CAST('inf' AS FLOAT64)
        THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        ELSE (
          CAST(SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) AS FLOAT64) / NULLIF(
            COUNT(__fsql_p0_x0) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ),
            0
          )
        ) * 2048.0
      END AS FLOAT64) AS __fsql_p0_a0,
      CASE
        WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS FLOAT64)
        WHEN IS_NAN(
          SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        )
        THEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) > 0
          THEN CAST('inf' AS FLOAT64)
          ELSE CAST('-inf' AS FLOAT64)
        END
        ELSE SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) * 2048.0
      END AS __fsql_p0_a1,
      COUNT(__fsql_p0_x2) OVER (
        PARTITION BY __fsql_p0_k0
        ORDER BY __fsql_p0_o
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p0_a2
    FROM (
      SELECT
        __fsql_q.*,
        COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_p0_k0,
        COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_p0_o,
        __fsql_e.__fsql_c AS __fsql_p0_c,
        __fsql_e.__fsql_x0 AS __fsql_p0_x0,
        __fsql_e.__fsql_x1 AS __fsql_p0_x1,
        __fsql_e.__fsql_x2 AS __fsql_p0_x2
      FROM __fsql_spine AS __fsql_q
      FULL JOIN (
        SELECT
          __fsql_k0,
          __fsql_ts,
          __fsql_c,
          CAST(NULL AS INT64) AS __fsql_none,
          __fsql_x0,
          __fsql_x1,
          __fsql_x2
        FROM __fsql_activity_src
      ) AS __fsql_e
        ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
    ) AS __fsql_j
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
), __fsql_profile_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    age AS __fsql_f0
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_profile_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p1_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p1_f0
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, __fsql_f0 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0) AS __fsql_row
      FROM __fsql_profile_src
      UNION ALL
      SELECT
        __fsql_q.user_id AS __fsql_k0,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_activity_frames AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
)
SELECT
  __fsql_o.*
  EXCEPT (__fsql_order),
  __fsql_o.amount / NULLIF(
    CASE
      WHEN ABS(__fsql_o.`amount_avg_1d`) >= ABS(__fsql_o.amount) / CAST(1.7976931348623157e+308 AS FLOAT64)
      THEN __fsql_o.`amount_avg_1d`
    END,
    0
  ) AS `amount_vs_avg`,
  CASE
    WHEN __fsql_o.`age` < 18
    THEN '<18'
    WHEN __fsql_o.`age` <= 25
    THEN '18-25'
    WHEN __fsql_o.`age` <= 35
    THEN '26-35'
    WHEN __fsql_o.`age` IS NULL
    THEN CAST(NULL AS STRING)
    ELSE '36+'
  END AS `age_bucket`,
  ROUND(__fsql_o.amount / NULLIF(CAST(2.0e0 AS FLOAT64), 0)) AS `rounded`,
  COALESCE(__fsql_o.`spent_1d`, 0) / NULLIF(
    CASE
      WHEN ABS(NULLIF(__fsql_o.`spent_1d` + 1, 1)) >= ABS(COALESCE(__fsql_o.`spent_1d`, 0)) / CAST(1.7976931348623157e+308 AS FLOAT64)
      THEN NULLIF(__fsql_o.`spent_1d` + 1, 1)
    END,
    0
  ) AS `spent_share`
FROM (
  SELECT
    __fsql_profile_pit.*
    EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_k0, __fsql_p0_o, __fsql_p0_c, __fsql_p0_x0, __fsql_p0_x1, __fsql_p0_x2, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p1_ts, __fsql_p1_f0),
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN __fsql_profile_pit.__fsql_p0_a0
      ELSE CAST(NULL AS FLOAT64)
    END AS `amount_avg_1d`,
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN __fsql_profile_pit.__fsql_p0_a1
      ELSE CAST(NULL AS FLOAT64)
    END AS `spent_1d`,
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN COALESCE(__fsql_profile_pit.__fsql_p0_a2, 0)
      ELSE CAST(NULL AS INT64)
    END AS `food_count_1d`,
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.__fsql_p1_ts IS NULL
      AND __fsql_profile_pit.__fsql_p1_ts > __fsql_profile_pit.__fsql_t - 2592000000000
      THEN __fsql_profile_pit.__fsql_p1_f0
      ELSE CAST(NULL AS INT64)
    END AS `age`,
    __fsql_profile_pit.__fsql_rid AS __fsql_order
  FROM __fsql_profile_pit
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order
