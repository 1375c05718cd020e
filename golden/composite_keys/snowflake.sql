-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, bank NULLS FIRST, branch NULLS FIRST, first NULLS FIRST, last NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_balance_src AS (
  SELECT
    *
  FROM (
    SELECT
      bank AS __fsql_k0,
      branch AS __fsql_k1,
      DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      amount AS __fsql_f0
    FROM accounts AS __fsql_s
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT bank IS NULL
      AND NOT branch IS NULL
      AND DATE_PART(EPOCH_MICROSECOND, ts) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, ts) >= __fsql_b.__fsql_lo - 86400000000
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_k1, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
), __fsql_tagged_src AS (
  SELECT
    *
  FROM (
    SELECT
      first AS __fsql_k0,
      last AS __fsql_k1,
      DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      tag AS __fsql_f0
    FROM names AS __fsql_s
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT first IS NULL
      AND NOT last IS NULL
      AND DATE_PART(EPOCH_MICROSECOND, ts) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, ts) >= __fsql_b.__fsql_lo - 86400000000
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_k1, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_balance_pit.__fsql_ts IS NULL
    AND __fsql_balance_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_balance_pit.__fsql_f0
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "amount",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_tagged_pit.__fsql_ts IS NULL
    AND __fsql_tagged_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_tagged_pit.__fsql_f0
    ELSE CAST(NULL AS VARCHAR)
  END AS "tag"
FROM __fsql_spine
ASOF JOIN __fsql_balance_src AS __fsql_balance_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_balance_pit.__fsql_ts)
  ON __fsql_spine.bank = __fsql_balance_pit.__fsql_k0
  AND __fsql_spine.branch = __fsql_balance_pit.__fsql_k1
ASOF JOIN __fsql_tagged_src AS __fsql_tagged_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_tagged_pit.__fsql_ts)
  ON __fsql_spine.first = __fsql_tagged_pit.__fsql_k0
  AND __fsql_spine.last = __fsql_tagged_pit.__fsql_k1
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
