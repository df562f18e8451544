// gcpressure: garbage-collector pressure — several goroutines allocate
// small, medium and large objects while keeping a bounded live set, with
// explicit runtime.GC() calls, a GC-percent change, runtime.ReadMemStats
// and debug.FreeOSMemory.
//
// Usage: gcpressure OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"sync"
)

type node struct {
	next    *node
	payload []byte
	id      int
}

var sink [][]byte

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gcpressure OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	debug.SetGCPercent(100)
	stop := startTrace(os.Args[1])

	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			churnHeap(id, 6000)
		}(w)
	}
	runtime.GC()
	wg.Wait()

	// A lower GC percent makes collections more frequent for a while.
	old := debug.SetGCPercent(25)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			churnHeap(10+id, 3000)
		}(w)
	}
	wg.Wait()
	debug.SetGCPercent(old)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sink = nil
	runtime.GC()
	debug.FreeOSMemory()

	stop()
	if ms.NumGC == 0 {
		fmt.Println("no GC happened")
	}
}

// churnHeap keeps a ring of 256 live lists and replaces them one by one.
func churnHeap(seed, rounds int) {
	var ring [256]*node
	x := uint32(seed + 1)
	for r := 0; r < rounds; r++ {
		x = x*1664525 + 1013904223
		var head *node
		n := int(x>>28) + 1
		for k := 0; k < n; k++ {
			size := 16 + int(x>>20)%512
			head = &node{next: head, payload: make([]byte, size), id: k}
		}
		ring[r%len(ring)] = head
		if r%500 == 0 {
			big := make([]byte, 256<<10) // a large object, allocated outside size classes
			big[0] = byte(r)
			if r%2000 == 0 {
				sink = append(sink, big)
			}
		}
	}
}

func startTrace(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	if err := trace.Start(f); err != nil {
		fail(err)
	}
	return func() {
		trace.Stop()
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gcpressure:", err)
	os.Exit(1)
}
