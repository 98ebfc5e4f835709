//! Shared model plumbing: the fast depthwise kernel, weight loading, preprocessing.
