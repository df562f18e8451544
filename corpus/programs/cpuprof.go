// cpuprof: CPU profiling while tracing. The CPU profiler is started (its
// output discarded) before the trace, then about 200 ms of CPU-bound work
// runs on several goroutines, so traces from Go 1.19 on carry CPU samples.
//
// Usage: cpuprof OUTPUT.trace
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cpuprof OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		fail(err)
	}
	stop := startTrace(os.Args[1])

	deadline := time.Now().Add(200 * time.Millisecond)
	var wg sync.WaitGroup
	results := make([]uint64, 3)
	for w := range results {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			var acc uint64
			for time.Now().Before(deadline) {
				switch id {
				case 0:
					acc += hashLoop(20000)
				case 1:
					acc += uint64(primes(3000))
				default:
					acc += sortish(512)
				}
			}
			results[id] = acc
		}(w)
	}
	wg.Wait()

	stop()
	pprof.StopCPUProfile()
	if results[0] == 1 {
		fmt.Println(results)
	}
}

func hashLoop(n int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < n; i++ {
		h ^= uint64(i)
		h *= 1099511628211
	}
	return h
}

func primes(limit int) int {
	count := 0
	for n := 2; n < limit; n++ {
		prime := true
		for d := 2; d*d <= n; d++ {
			if n%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count
}

// sortish: an insertion sort over pseudo-random numbers.
func sortish(n int) uint64 {
	a := make([]uint32, n)
	x := uint32(n)
	for i := range a {
		x = x*1664525 + 1013904223
		a[i] = x
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	return uint64(a[0])
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
	fmt.Fprintln(os.Stderr, "cpuprof:", err)
	os.Exit(1)
}
