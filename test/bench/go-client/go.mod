module k8stream.dev/bench/go-client

go 1.19
