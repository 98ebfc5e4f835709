//! Shared model plumbing: the fast depthwise kernel, 1×1 convolutions as matrix products,
//! batch-norm folding.

pub mod depthwise;
pub mod fold;
pub mod pointwise;
