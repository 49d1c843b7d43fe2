package main

import "testing"

// measure must see the heap grow when the measured function holds memory.
func TestMeasureSeesHeldMemory(t *testing.T) {
	var keep []byte
	m, err := measure(func() error {
		keep = make([]byte, 64<<20)
		for i := range keep {
			keep[i] = 1
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.peakHeap < 64<<20 || m.mallocs == 0 || m.dur <= 0 {
		t.Fatalf("%+v", m)
	}
	_ = keep
}
