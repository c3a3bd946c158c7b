use lambda_test::lambda_test;

#[lambda_test(function = "probe", log = "none", max_duration_ms = 100)]
async fn no_tail_log() {}

#[lambda_test(function = "probe", dry_run = true, max_memory_mb = 128)]
async fn dry_run_does_not_run() {}

#[lambda_test(function = "probe", invocation_type = "Event", max_init_ms = 500)]
async fn event_answers_at_once() {}

fn main() {}
