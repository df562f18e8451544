// bigtrace: records one large execution trace for load tests. A mixed
// workload (a worker pool fed by channels, goroutines per request, a
// mutex-guarded cache, file writes and reads, allocation-heavy work that
// keeps the GC busy, timers, and user tasks/regions/logs) runs on
// GOMAXPROCS=4 until the trace written so far reaches the requested size;
// then the trace is stopped and the program exits.
//
// Usage: bigtrace OUTPUT.trace SIZE_MB
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// countingWriter forwards to w and signals reached once limit bytes passed.
type countingWriter struct {
	w       *bufio.Writer
	n       int64
	limit   int64
	reached chan struct{}
	once    sync.Once
}

func (c *countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	if atomic.AddInt64(&c.n, int64(k)) >= c.limit {
		c.once.Do(func() { close(c.reached) })
	}
	return k, err
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bigtrace OUTPUT.trace SIZE_MB")
		os.Exit(2)
	}
	mb, err := strconv.Atoi(os.Args[2])
	if err != nil || mb <= 0 {
		fmt.Fprintln(os.Stderr, "bigtrace: SIZE_MB must be a positive integer")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)

	dir, err := os.MkdirTemp(os.TempDir(), "gotrace-big-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)

	f, err := os.Create(os.Args[1])
	if err != nil {
		fail(err)
	}
	cw := &countingWriter{
		w:       bufio.NewWriterSize(f, 1<<20),
		limit:   int64(mb) << 20,
		reached: make(chan struct{}),
	}
	if err := trace.Start(cw); err != nil {
		fail(err)
	}

	var quit int32
	var wg sync.WaitGroup
	jobs := make(chan int, 64)
	results := make(chan int, 64)
	c := newCache()

	// Workers: each job is a task with regions, some allocation, cache use,
	// and now and then a helper goroutine and a file round trip.
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for j := range jobs {
				results <- handle(id, j, c, dir)
			}
		}(w)
	}
	// Producer.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := 0; atomic.LoadInt32(&quit) == 0; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	// Consumer of results, with a periodic ticker-driven summary log.
	var sumDone sync.WaitGroup
	sumDone.Add(1)
	go func() {
		defer sumDone.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		total := 0
		for {
			select {
			case r, ok := <-results:
				if !ok {
					return
				}
				total += r
			case <-tick.C:
				trace.Logf(context.Background(), "summary", "total=%d", total)
			}
		}
	}()
	// A background allocator keeps a rolling live set for the GC.
	wg.Add(1)
	go func() {
		defer wg.Done()
		var live [128][]byte
		for i := 0; atomic.LoadInt32(&quit) == 0; i++ {
			live[i%len(live)] = make([]byte, 1024+(i%64)*512)
			if i%4096 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	// Progress report on stderr.
	progress := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-progress:
				return
			case <-t.C:
				fmt.Fprintf(os.Stderr, "bigtrace: %d MB written\n", atomic.LoadInt64(&cw.n)>>20)
			}
		}
	}()

	<-cw.reached
	trace.Stop()
	close(progress)
	atomic.StoreInt32(&quit, 1)
	go func() {
		for range results {
		}
	}()
	wg.Wait()
	close(results)
	sumDone.Wait()

	if err := cw.w.Flush(); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

type cache struct {
	mu sync.Mutex
	m  map[int][]byte
}

func newCache() *cache { return &cache{m: make(map[int][]byte)} }

func (c *cache) get(k int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k%1024]
	if !ok {
		v = make([]byte, 256)
		c.m[k%1024] = v
	}
	return v
}

func (c *cache) put(k int, v []byte) {
	c.mu.Lock()
	c.m[k%1024] = v
	c.mu.Unlock()
}

func handle(worker, job int, c *cache, dir string) int {
	ctx, task := trace.NewTask(context.Background(), "job")
	defer task.End()
	r := 0
	trace.WithRegion(ctx, "compute", func() {
		buf := make([]byte, 512+job%2048)
		for i := range buf {
			buf[i] = byte(i * job)
			r += int(buf[i])
		}
		c.put(job, buf[:256])
	})
	trace.WithRegion(ctx, "lookup", func() {
		r += len(c.get(job * 7))
	})
	if job%8 == 0 {
		// Fan out to short-lived helpers and wait for them.
		var hw sync.WaitGroup
		out := make(chan int, 4)
		for h := 0; h < 4; h++ {
			hw.Add(1)
			go func(k int) {
				defer hw.Done()
				out <- k * job
			}(h)
		}
		hw.Wait()
		close(out)
		for v := range out {
			r += v & 1
		}
	}
	if job%64 == 0 {
		trace.WithRegion(ctx, "file", func() {
			name := filepath.Join(dir, fmt.Sprintf("w%d.dat", worker))
			if err := os.WriteFile(name, make([]byte, 4096), 0o600); err == nil {
				if b, err := os.ReadFile(name); err == nil {
					r += len(b)
				}
			}
		})
	}
	if job%256 == 0 {
		time.Sleep(50 * time.Microsecond)
		trace.Logf(ctx, "progress", "worker %d reached job %d", worker, job)
	}
	return r
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bigtrace:", err)
	os.Exit(1)
}
