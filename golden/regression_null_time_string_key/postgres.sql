-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, bank NULLS FIRST, branch COLLATE "C" NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_balance_src AS (
  SELECT
    bank AS __fsql_k0,
    branch AS __fsql_k1,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    amount AS __fsql_f0
  FROM accounts AS __fsql_s
  WHERE
    NOT bank IS NULL
    AND NOT branch IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_balance_pit AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_e.__fsql_ts AS __fsql_p0_ts,
      __fsql_e.__fsql_f0 AS __fsql_p0_f0,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_f0 DESC NULLS LAST
      ) AS __fsql_p0_rank
    FROM __fsql_spine AS __fsql_q
    LEFT JOIN __fsql_balance_src AS __fsql_e
      ON __fsql_q.bank = __fsql_e.__fsql_k0
      AND __fsql_q.branch = __fsql_e.__fsql_k1
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
)
SELECT
  __fsql_balance_pit.spine_id,
  __fsql_balance_pit.bank,
  __fsql_balance_pit.branch,
  __fsql_balance_pit.event_timestamp,
  CASE
    WHEN NOT __fsql_balance_pit.__fsql_t IS NULL
    AND NOT __fsql_balance_pit.__fsql_p0_ts IS NULL
    THEN __fsql_balance_pit.__fsql_p0_f0
    ELSE CAST(42 AS BIGINT)
  END AS "amount"
FROM __fsql_balance_pit
ORDER BY
  __fsql_balance_pit.__fsql_rid NULLS FIRST
