-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, bank NULLS FIRST, branch NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_balance_src AS NOT MATERIALIZED (
  SELECT
    bank AS __fsql_k0,
    branch AS __fsql_k1,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    amount AS __fsql_f0
  FROM accounts AS __fsql_s
  WHERE
    NOT bank IS NULL AND NOT branch IS NULL AND NOT EPOCH_US(ts) IS NULL
), __fsql_balance_pit AS (
  SELECT
    __fsql_m.*,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_n.__fsql_ts AS __fsql_p0_ts
    FROM __fsql_spine AS __fsql_q
    ASOF LEFT JOIN (
      SELECT
        __fsql_k0,
        __fsql_k1,
        __fsql_ts
      FROM __fsql_balance_src
    ) AS __fsql_n
      ON __fsql_q.bank = __fsql_n.__fsql_k0
      AND __fsql_q.branch = __fsql_n.__fsql_k1
      AND __fsql_n.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_m
  LEFT JOIN __fsql_balance_src AS __fsql_e
    ON __fsql_m.bank = __fsql_e.__fsql_k0
    AND __fsql_m.branch = __fsql_e.__fsql_k1
    AND __fsql_e.__fsql_ts = __fsql_m.__fsql_p0_ts
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_e.__fsql_c DESC, __fsql_e.__fsql_f0 DESC
    ) = 1
)
SELECT
  __fsql_balance_pit.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0),
  CASE
    WHEN NOT __fsql_balance_pit.__fsql_t IS NULL
    AND NOT __fsql_balance_pit.__fsql_p0_ts IS NULL
    THEN __fsql_balance_pit.__fsql_p0_f0
    ELSE CAST(42 AS BIGINT)
  END AS "amount"
FROM __fsql_balance_pit
ORDER BY
  __fsql_balance_pit.__fsql_rid NULLS FIRST
