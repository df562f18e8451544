// locks: contended sync.Mutex and sync.RWMutex, sync.Cond (a bounded queue
// using Wait/Signal and a barrier using Broadcast), sync.Once, WaitGroup.
//
// Usage: locks OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: locks OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	counter := contendedMutex(8, 1000)
	readersWriters(6, 2, 800)
	queue(3, 3, 1500)
	barrier(10, 20)
	onceOnly(20)

	stop()
	if counter < 0 {
		fmt.Println(counter)
	}
}

func spin(n int) uint32 {
	x := uint32(n)
	for i := 0; i < n; i++ {
		x = x*1664525 + 1013904223
	}
	return x
}

func contendedMutex(workers, iters int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				mu.Lock()
				counter++
				spin(200)
				if i%100 == 99 {
					time.Sleep(100 * time.Microsecond) // hold the lock while asleep
				}
				mu.Unlock()
				spin(50 * (id + 1))
			}
		}(w)
	}
	wg.Wait()
	return counter
}

func readersWriters(readers, writers, iters int) {
	var rw sync.RWMutex
	table := map[int]int{}
	var wg sync.WaitGroup
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			s := 0
			for i := 0; i < iters; i++ {
				rw.RLock()
				s += table[i%16]
				spin(100)
				rw.RUnlock()
			}
			_ = s
		}(r)
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for i := 0; i < iters/4; i++ {
				rw.Lock()
				table[i%16] += id
				spin(300)
				rw.Unlock()
				time.Sleep(20 * time.Microsecond)
			}
		}(w)
	}
	wg.Wait()
}

// queue: a bounded FIFO guarded by a mutex with two condition variables.
func queue(producers, consumers, items int) {
	var mu sync.Mutex
	notEmpty := sync.NewCond(&mu)
	notFull := sync.NewCond(&mu)
	const capacity = 4
	var buf []int
	closed := false
	var pw, cw sync.WaitGroup
	per := items / producers
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go func(base int) {
			defer pw.Done()
			for i := 0; i < per; i++ {
				mu.Lock()
				for len(buf) == capacity {
					notFull.Wait()
				}
				buf = append(buf, base+i)
				notEmpty.Signal()
				mu.Unlock()
			}
		}(p * per)
	}
	got := make([]int, consumers)
	for c := 0; c < consumers; c++ {
		cw.Add(1)
		go func(id int) {
			defer cw.Done()
			for {
				mu.Lock()
				for len(buf) == 0 && !closed {
					notEmpty.Wait()
				}
				if len(buf) == 0 && closed {
					mu.Unlock()
					return
				}
				buf = buf[1:]
				got[id]++
				notFull.Signal()
				mu.Unlock()
				spin(500)
			}
		}(c)
	}
	pw.Wait()
	mu.Lock()
	closed = true
	notEmpty.Broadcast()
	mu.Unlock()
	cw.Wait()
}

// barrier: goroutines meet at a Cond-based barrier several times.
func barrier(parties, rounds int) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	arrived, generation := 0, 0
	var wg sync.WaitGroup
	for p := 0; p < parties; p++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				spin(1000 * (id%3 + 1))
				mu.Lock()
				g := generation
				arrived++
				if arrived == parties {
					arrived = 0
					generation++
					cond.Broadcast()
				} else {
					for g == generation {
						cond.Wait()
					}
				}
				mu.Unlock()
			}
		}(p)
	}
	wg.Wait()
}

func onceOnly(n int) {
	var once sync.Once
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once.Do(func() { time.Sleep(time.Millisecond) })
		}()
	}
	wg.Wait()
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
	fmt.Fprintln(os.Stderr, "locks:", err)
	os.Exit(1)
}
