// The helpers every test target shares (Tests/SemblanceTestSupport), for each file here.
@_exported import SemblanceTestSupport
