# `bucketwatch report --source clickhouse://` (issue 20): the report from ClickHouse equals the
# report from the files, on ledgers the sensor wrote from the bundled captures and imported with
# `bucketwatch ledger-import`. Kept apart from CMakeLists.txt, which the ledger sink's tests own.
add_test(NAME clickhouse.report_source
         COMMAND ${Python3_EXECUTABLE} ${BW_CLICKHOUSE_DIR}/report_source_test.py
                 --bucketwatch $<TARGET_FILE:bucketwatch>)
set_tests_properties(clickhouse.report_source PROPERTIES LABELS clickhouse TIMEOUT 600)
# deploy/clickhouse/distributed.sql on two local servers: rows on both shards, the same report.
add_test(NAME clickhouse.report_distributed
         COMMAND ${Python3_EXECUTABLE} ${BW_CLICKHOUSE_DIR}/report_distributed_test.py
                 --bucketwatch $<TARGET_FILE:bucketwatch>)
set_tests_properties(clickhouse.report_distributed PROPERTIES LABELS clickhouse TIMEOUT 600)
# The 10-million-row measurement (bench/clickhouse_report.py, numbers in deploy/clickhouse/README.md)
# at a smoke size: it runs end to end and both object tables are equal.
add_test(NAME clickhouse.report_bench_smoke
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/bench/clickhouse_report.py
                 --bucketwatch $<TARGET_FILE:bucketwatch> --lines 20000 --objects 5000)
set_tests_properties(clickhouse.report_bench_smoke PROPERTIES LABELS clickhouse TIMEOUT 300)
# `report --inventory --source clickhouse://`: the inventory from ClickHouse equals the one from
# the files on the same ledgers, also with two sensors and lines without observer.name.
add_test(NAME clickhouse.inventory_source
         COMMAND ${Python3_EXECUTABLE} ${BW_CLICKHOUSE_DIR}/inventory_source_test.py
                 --bucketwatch $<TARGET_FILE:bucketwatch>)
set_tests_properties(clickhouse.inventory_source PROPERTIES LABELS clickhouse TIMEOUT 600)
