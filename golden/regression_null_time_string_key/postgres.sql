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
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT bank IS NULL
    AND NOT branch IS NULL
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_balance_pit AS (
  SELECT
    __fsql_rid,
    __fsql_ts,
    __fsql_f0
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_l.__fsql_ts,
      __fsql_l.__fsql_f0,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_l.__fsql_ts DESC NULLS LAST, __fsql_l.__fsql_c DESC NULLS LAST, __fsql_l.__fsql_f0 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_balance_src AS __fsql_l
      ON __fsql_spine.bank = __fsql_l.__fsql_k0
      AND __fsql_spine.branch = __fsql_l.__fsql_k1
    WHERE
      __fsql_l.__fsql_ts <= __fsql_spine.__fsql_t
  ) AS _t
  WHERE
    _w = 1
)
SELECT
  __fsql_spine.spine_id,
  __fsql_spine.bank,
  __fsql_spine.branch,
  __fsql_spine.event_timestamp,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_balance_pit.__fsql_ts IS NULL
    THEN __fsql_balance_pit.__fsql_f0
    ELSE CAST(42 AS BIGINT)
  END AS "amount"
FROM __fsql_spine
LEFT JOIN __fsql_balance_pit
  ON __fsql_spine.__fsql_rid = __fsql_balance_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
