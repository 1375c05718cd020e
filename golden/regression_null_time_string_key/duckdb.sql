WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, bank NULLS FIRST, branch NULLS FIRST, event_timestamp NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_v0_src AS (
  SELECT
    bank AS __fsql_k0,
    branch AS __fsql_k1,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    amount AS __fsql_f0
  FROM accounts AS __fsql_s
  WHERE
    NOT bank IS NULL
    AND NOT branch IS NULL
    AND EPOCH_US(ts) <= (
      SELECT
        MAX(__fsql_t)
      FROM __fsql_spine
    )
    AND NOT EPOCH_US(ts) IS NULL
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_v0.__fsql_ts IS NULL
    THEN __fsql_v0.__fsql_f0
    ELSE CAST(42 AS BIGINT)
  END AS "amount"
FROM __fsql_spine
ASOF LEFT JOIN __fsql_v0_src AS __fsql_v0
  ON __fsql_spine.bank = __fsql_v0.__fsql_k0
  AND __fsql_spine.branch = __fsql_v0.__fsql_k1
  AND {'ts': __fsql_spine.__fsql_t + 1, 'c': CAST(-9223372036854775808 AS BIGINT), 'n0': NULL, 'v0': NULL} > {'ts': __fsql_v0.__fsql_ts, 'c': COALESCE(__fsql_v0.__fsql_c, -9223372036854775807), 'n0': NOT __fsql_v0.__fsql_f0 IS NULL, 'v0': __fsql_v0.__fsql_f0}
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
