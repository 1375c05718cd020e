-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_sums_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    x AS __fsql_x0
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_sums_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      CASE
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
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) > 0
          THEN CAST('inf' AS DOUBLE PRECISION)
          ELSE CAST('-inf' AS DOUBLE PRECISION)
        END
        ELSE SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) * 2048.0
      END AS __fsql_p0_a0,
      CASE
        WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          )
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) > 0
          THEN CAST('inf' AS DOUBLE PRECISION)
          ELSE CAST('-inf' AS DOUBLE PRECISION)
        END
        ELSE SUM(__fsql_p0_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o NULLS FIRST
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) * 2048.0
      END AS __fsql_p0_a1
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
  __fsql_sums_frames.spine_id,
  __fsql_sums_frames.user_id,
  __fsql_sums_frames.event_timestamp,
  CASE
    WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
    AND NOT __fsql_sums_frames.user_id IS NULL
    THEN __fsql_sums_frames.__fsql_p0_a0
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_sum_1d",
  CASE
    WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
    AND NOT __fsql_sums_frames.user_id IS NULL
    THEN __fsql_sums_frames.__fsql_p0_a1
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_sum"
FROM __fsql_sums_frames
ORDER BY
  __fsql_sums_frames.__fsql_rid NULLS FIRST
