"""The report's last-use aggregation in DuckDB, over the same CloudTrail files, for comparison.

Usage: duckdb_last_use.py LOG_ROOT START END THREADS
Prints the number of aggregated rows. Only the fields the report reads are declared, so
DuckDB parses no more than this tool does.
"""
import sys

import duckdb

EVENT = """STRUCT(
    eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, eventID VARCHAR, errorCode VARCHAR,
    userIdentity STRUCT(principalId VARCHAR, userName VARCHAR,
                        onBehalfOf STRUCT(userId VARCHAR, identityStoreArn VARCHAR)),
    serviceEventDetails STRUCT(account_id VARCHAR, role_name VARCHAR, "UserAuthentication" VARCHAR)
)"""

QUERY = f"""
WITH events AS (
  SELECT unnest(Records) AS e
  FROM read_json(?, columns = {{'Records': '{EVENT}[]'}}, format = 'auto',
                 maximum_object_size = 1073741824, compression = 'gzip')
)
SELECT e.userIdentity.onBehalfOf.userId, e.userIdentity.onBehalfOf.identityStoreArn,
       e.userIdentity.principalId, e.userIdentity.userName, e.eventName,
       e.serviceEventDetails.account_id, e.serviceEventDetails.role_name,
       max(e.eventTime) AS last_seen, count(DISTINCT e.eventID) AS events
FROM events
WHERE e.errorCode IS NULL
  AND e.eventTime BETWEEN ? AND ?
  AND ((e.eventSource = 'sso.amazonaws.com' AND e.eventName IN ('Federate', 'GetRoleCredentials')
        AND e.serviceEventDetails.account_id IS NOT NULL AND e.serviceEventDetails.role_name IS NOT NULL)
    OR (e.eventSource = 'signin.amazonaws.com' AND e.eventName = 'UserAuthentication'
        AND e.serviceEventDetails."UserAuthentication" = 'Success'))
GROUP BY ALL
"""


def main() -> None:
    root, start, end, threads = sys.argv[1:5]
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    rows = con.execute(QUERY, [f"{root}/AWSLogs/*/*/CloudTrail/*/*/*/*/*.json.gz", start, end]).fetchall()
    print(len(rows))


if __name__ == "__main__":
    main()
