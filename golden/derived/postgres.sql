-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, amount NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_activity_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    amount AS __fsql_x0,
    CASE WHEN amount > CAST(0 AS BIGINT) THEN amount END AS __fsql_x1,
    CASE WHEN category = 'food' THEN 1 END AS __fsql_x2
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_activity_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      CAST(CASE
        WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) = CAST('inf' AS DOUBLE PRECISION)
        THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        ELSE (
          CAST(SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) AS DOUBLE PRECISION) / NULLIF(
            COUNT(__fsql_p0_x0) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o NULLS FIRST
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ),
            0
          )
        ) * 2048.0
      END AS DOUBLE PRECISION) AS __fsql_p0_a0,
      CASE
        WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) > 0
          THEN CAST('inf' AS DOUBLE PRECISION)
          ELSE CAST('-inf' AS DOUBLE PRECISION)
        END
        ELSE SUM(__fsql_p0_x1 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) * 2048.0
      END AS __fsql_p0_a1,
      COUNT(__fsql_p0_x2) OVER (
        PARTITION BY __fsql_p0_k0
        ORDER BY __fsql_p0_o NULLS FIRST
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
          CAST(NULL AS BIGINT) AS __fsql_none,
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
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    age AS __fsql_f0
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_profile_pit AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_e.__fsql_ts AS __fsql_p1_ts,
      __fsql_e.__fsql_f0 AS __fsql_p1_f0,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_f0 DESC NULLS LAST
      ) AS __fsql_p1_rank
    FROM __fsql_activity_frames AS __fsql_q
    LEFT JOIN __fsql_profile_src AS __fsql_e
      ON __fsql_q.user_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 2592000000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p1_rank = 1
)
SELECT
  __fsql_o.spine_id,
  __fsql_o.user_id,
  __fsql_o.event_timestamp,
  __fsql_o.amount,
  __fsql_o."amount_avg_1d",
  __fsql_o."spent_1d",
  __fsql_o."food_count_1d",
  __fsql_o."age",
  CAST(__fsql_o.amount AS DOUBLE PRECISION) / NULLIF(
    CASE
      WHEN CASE
        WHEN ABS(__fsql_o.amount) < CAST(8.881784197001252e-16 AS DOUBLE PRECISION)
        THEN TRUE
        ELSE ABS(__fsql_o."amount_avg_1d") >= ABS(__fsql_o.amount) / CAST(1.7976931348623157e+308 AS DOUBLE PRECISION)
      END
      THEN __fsql_o."amount_avg_1d"
    END,
    0
  ) AS "amount_vs_avg",
  CASE
    WHEN __fsql_o."age" < CAST(18 AS BIGINT)
    THEN '<18'
    WHEN __fsql_o."age" <= CAST(25 AS BIGINT)
    THEN '18-25'
    WHEN __fsql_o."age" <= CAST(35 AS BIGINT)
    THEN '26-35'
    WHEN __fsql_o."age" IS NULL
    THEN CAST(NULL AS TEXT)
    ELSE '36+'
  END AS "age_bucket",
  SIGN(
    CAST(__fsql_o.amount AS DOUBLE PRECISION) / NULLIF(CAST(2.0e0 AS DOUBLE PRECISION), 0)
  ) * (
    FLOOR(
      ABS(
        CAST(__fsql_o.amount AS DOUBLE PRECISION) / NULLIF(CAST(2.0e0 AS DOUBLE PRECISION), 0)
      )
    ) + CASE
      WHEN (
        ABS(
          CAST(__fsql_o.amount AS DOUBLE PRECISION) / NULLIF(CAST(2.0e0 AS DOUBLE PRECISION), 0)
        ) - FLOOR(
          ABS(
            CAST(__fsql_o.amount AS DOUBLE PRECISION) / NULLIF(CAST(2.0e0 AS DOUBLE PRECISION), 0)
          )
        )
      ) >= CAST(0.5e0 AS DOUBLE PRECISION)
      THEN 1
      ELSE 0
    END
  ) AS "rounded",
  CAST(COALESCE(__fsql_o."spent_1d", CAST(0 AS BIGINT)) AS DOUBLE PRECISION) / NULLIF(
    CASE
      WHEN CASE
        WHEN ABS(COALESCE(__fsql_o."spent_1d", CAST(0 AS BIGINT))) < CAST(8.881784197001252e-16 AS DOUBLE PRECISION)
        THEN TRUE
        ELSE ABS(NULLIF(__fsql_o."spent_1d" + CAST(1 AS BIGINT), CAST(1 AS BIGINT))) >= ABS(COALESCE(__fsql_o."spent_1d", CAST(0 AS BIGINT))) / CAST(1.7976931348623157e+308 AS DOUBLE PRECISION)
      END
      THEN NULLIF(__fsql_o."spent_1d" + CAST(1 AS BIGINT), CAST(1 AS BIGINT))
    END,
    0
  ) AS "spent_share"
FROM (
  SELECT
    __fsql_profile_pit.spine_id,
    __fsql_profile_pit.user_id,
    __fsql_profile_pit.event_timestamp,
    __fsql_profile_pit.amount,
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN __fsql_profile_pit.__fsql_p0_a0
      ELSE CAST(NULL AS DOUBLE PRECISION)
    END AS "amount_avg_1d",
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN __fsql_profile_pit.__fsql_p0_a1
      ELSE CAST(NULL AS DOUBLE PRECISION)
    END AS "spent_1d",
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.user_id IS NULL
      THEN COALESCE(__fsql_profile_pit.__fsql_p0_a2, 0)
      ELSE CAST(NULL AS BIGINT)
    END AS "food_count_1d",
    CASE
      WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
      AND NOT __fsql_profile_pit.__fsql_p1_ts IS NULL
      AND __fsql_profile_pit.__fsql_p1_ts > __fsql_profile_pit.__fsql_t - 2592000000000
      THEN __fsql_profile_pit.__fsql_p1_f0
      ELSE CAST(NULL AS BIGINT)
    END AS "age",
    __fsql_profile_pit.__fsql_rid AS __fsql_order
  FROM __fsql_profile_pit
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order NULLS FIRST
