// prestarted: tracing starts after 500 goroutines already exist — blocked
// on channel receives, in select, on a mutex and a sync.Cond, asleep, stuck
// in a blocking system call, and running CPU loops — so the trace opens with
// the state of every pre-existing goroutine. While tracing, some of each
// kind are woken up and finish.
//
// Usage: prestarted OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: prestarted OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)

	var ready, finished sync.WaitGroup
	var stopSpin int32

	// 200 goroutines blocked receiving, each on its own channel.
	recv := make([]chan int, 200)
	for i := range recv {
		recv[i] = make(chan int)
		ready.Add(1)
		finished.Add(1)
		go func(c chan int) {
			defer finished.Done()
			ready.Done()
			<-c
		}(recv[i])
	}
	// 100 goroutines blocked in a select on a shared channel.
	gate := make(chan struct{})
	never := make(chan int)
	for i := 0; i < 100; i++ {
		ready.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			ready.Done()
			select {
			case <-gate:
			case <-never:
			}
		}()
	}
	// 60 goroutines waiting on a held mutex, 40 on a condition variable.
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 60; i++ {
		ready.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			ready.Done()
			mu.Lock()
			mu.Unlock()
		}()
	}
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	released := false
	for i := 0; i < 40; i++ {
		ready.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			cmu.Lock()
			ready.Done()
			for !released {
				cond.Wait()
			}
			cmu.Unlock()
		}()
	}
	// 80 sleepers: half nap in short steps until released during the
	// trace, half sleep far beyond its end.
	var wake int32
	for i := 0; i < 80; i++ {
		ready.Add(1)
		if i%2 == 0 {
			finished.Add(1)
		}
		go func(id int) {
			ready.Done()
			if id%2 == 0 {
				defer finished.Done()
				for atomic.LoadInt32(&wake) == 0 {
					time.Sleep(2*time.Millisecond + time.Duration(id)*50*time.Microsecond)
				}
			} else {
				time.Sleep(time.Hour)
			}
		}(i)
	}
	// 4 goroutines in a blocking read on raw pipes.
	var pipes [][2]int
	for i := 0; i < 4; i++ {
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err != nil {
			fail(err)
		}
		pipes = append(pipes, fds)
		ready.Add(1)
		finished.Add(1)
		go func(fd int) {
			defer finished.Done()
			ready.Done()
			buf := make([]byte, 1)
			syscall.Read(fd, buf)
		}(fds[0])
	}
	// 16 goroutines spinning on the CPU, yielding now and then.
	for i := 0; i < 16; i++ {
		ready.Add(1)
		finished.Add(1)
		go func(id int) {
			defer finished.Done()
			ready.Done()
			x := uint32(id)
			for n := 1; atomic.LoadInt32(&stopSpin) == 0; n++ {
				for k := 0; k < 5000; k++ {
					x = x*1664525 + 1013904223
				}
				if n%16 == 0 {
					runtime.Gosched()
				}
			}
		}(i)
	}
	ready.Wait()
	time.Sleep(10 * time.Millisecond) // let the blocking reads enter the kernel

	stop := startTrace(os.Args[1])

	time.Sleep(10 * time.Millisecond)
	for i, c := range recv {
		if i%2 == 0 {
			c <- i
		} else {
			close(c)
		}
	}
	close(gate)
	mu.Unlock()
	cmu.Lock()
	released = true
	cond.Broadcast()
	cmu.Unlock()
	for _, p := range pipes {
		syscall.Write(p[1], []byte{'x'})
	}
	time.Sleep(40 * time.Millisecond)
	atomic.StoreInt32(&wake, 1)
	atomic.StoreInt32(&stopSpin, 1)
	finished.Wait()

	stop()
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
	fmt.Fprintln(os.Stderr, "prestarted:", err)
	os.Exit(1)
}
