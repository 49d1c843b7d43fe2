package main

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapMetric is the heap figure sampled: the bytes of heap objects, live
// or not yet swept, i.e. what the heap holds, garbage included.
const heapMetric = "/memory/classes/heap/objects:bytes"

// measurement is what one run of a scenario cost in this process.
type measurement struct {
	dur      time.Duration
	peakHeap uint64 // bytes, sampled every millisecond
	mallocs  uint64
}

// measure runs fn after a garbage collection, sampling the heap every
// millisecond, and counts the allocations it made.
func measure(fn func() error) (measurement, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var (
		peak uint64
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	sample := []metrics.Sample{{Name: heapMetric}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak {
			peak = v
		}
	}
	read()
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	})
	start := time.Now()
	err := fn()
	d := time.Since(start)
	close(stop)
	wg.Wait()
	read()
	runtime.ReadMemStats(&after)
	return measurement{dur: d, peakHeap: peak, mallocs: after.Mallocs - before.Mallocs}, err
}

// best runs client and bare alternately reps times each and keeps, for each,
// the fastest run (and the highest heap peak seen).
func best(reps int, client, bare func() error) (c, b measurement, err error) {
	for range reps {
		if client != nil {
			m, err := measure(client)
			if err != nil {
				return c, b, err
			}
			c = better(c, m)
		}
		if bare != nil {
			m, err := measure(bare)
			if err != nil {
				return c, b, err
			}
			b = better(b, m)
		}
	}
	return c, b, nil
}
