// The minimal Go client of scenario G (issue 14): the Node client's job (node-client.mjs) in the
// Go standard library only — list pages with limit/continue, decode every event into a generic
// value, re-encode it as an NDJSON line into a gzip stream, a new file every 10,000 events. The yardstick for
// k8stream's CPU seconds and the memory a compiled client needs.
//
//	go-client <kubeconfig> <out dir> [page size]
//
// Prints one JSON line at the end: {"events","files","cpuSeconds","maxRssBytes"} (its own usage).
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

type page struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []map[string]interface{} `json:"items"`
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: go-client <kubeconfig> <out dir> [page size]"))
	}
	kubeconfig, out := os.Args[1], os.Args[2]
	pageSize := "500"
	if len(os.Args) > 3 {
		pageSize = os.Args[3]
	}
	text, err := os.ReadFile(kubeconfig)
	if err != nil {
		fail(err)
	}
	m := regexp.MustCompile(`server:\s*"?([^"\s]+)"?`).FindSubmatch(text)
	if m == nil {
		fail(fmt.Errorf("no server URL in %s", kubeconfig))
	}
	server := string(m[1])
	if err := os.MkdirAll(out, 0o755); err != nil {
		fail(err)
	}

	events, files, inFile := 0, 0, 0
	var file *os.File
	var zw *gzip.Writer
	closeFile := func() {
		if file == nil {
			return
		}
		if err := zw.Close(); err != nil {
			fail(err)
		}
		if err := file.Close(); err != nil {
			fail(err)
		}
		file, zw, inFile = nil, nil, 0
	}
	write := func(line []byte) {
		if file == nil {
			files++
			f, err := os.Create(filepath.Join(out, fmt.Sprintf("events-%06d.ndjson.gz", files)))
			if err != nil {
				fail(err)
			}
			file, zw = f, gzip.NewWriter(f)
		}
		if _, err := zw.Write(line); err != nil {
			fail(err)
		}
		events++
		if inFile++; inFile == 10000 {
			closeFile()
		}
	}

	cont := ""
	for {
		u := server + "/api/v1/events?limit=" + pageSize
		if cont != "" {
			u += "&continue=" + url.QueryEscape(cont)
		}
		res, err := http.Get(u)
		if err != nil {
			fail(err)
		}
		if res.StatusCode != http.StatusOK {
			fail(fmt.Errorf("GET %s: %d", u, res.StatusCode))
		}
		var p page
		err = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if err != nil {
			fail(err)
		}
		for _, item := range p.Items {
			line, err := json.Marshal(item)
			if err != nil {
				fail(err)
			}
			write(append(line, '\n'))
		}
		cont = p.Metadata.Continue
		if cont == "" {
			break
		}
	}
	closeFile()

	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	fmt.Printf("{\"events\":%d,\"files\":%d,\"cpuSeconds\":%.3f,\"maxRssBytes\":%d}\n", events, files, cpu, ru.Maxrss*1024)
}
