import { describe, expect, it } from 'vitest';
import { emptyPipelineCounters, receivedParts } from '../pipeline.js';
import { withWatchBookmarks } from './summary.js';

describe('run summary counters', () => {
  it("adds a live watch's bookmarks to received and bookmarks, so received still adds up", () => {
    const counters = { ...emptyPipelineCounters(), received: 5, records: 3, deletedSkipped: 1, bookmarks: 1 };
    const summary = withWatchBookmarks(counters, 4);
    expect(summary).toMatchObject({ received: 9, bookmarks: 5, records: 3, deletedSkipped: 1 });
    expect(receivedParts(summary)).toBe(summary.received);
    expect(counters).toMatchObject({ received: 5, bookmarks: 1 }); // the pipeline's own counters stay as they were
  });
});
