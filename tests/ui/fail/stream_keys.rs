use lambda_test::lambda_test;

#[lambda_test(function = "probe", max_first_byte_ms = 100)]
async fn budget_without_stream() {}

#[lambda_test(function = "probe", stream = false, stream_chunks = true)]
async fn chunks_of_a_buffered_invocation() {}

#[lambda_test(function = "probe", stream = true, invocation_type = "Event")]
async fn streamed_event() {}

#[lambda_test(function = "probe", stream, dry_run, max_first_byte_ms = 100)]
async fn streamed_dry_run_with_a_first_byte_budget() {}

#[lambda_test(function = "probe", stream, max_first_byte_ms = 0)]
async fn zero_budget() {}

#[lambda_test(function = "probe", stream, stream_chunks, expect_error = "ResourceNotFoundException")]
async fn refused_with_chunks() {}

fn main() {}
