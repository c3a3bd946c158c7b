use lambda_test::lambda_test;

#[lambda_test(function = "probe", qualifier = "1", qualifiers = ["live", "1"])]
async fn qualifier_twice() {}

#[lambda_test(function = "probe", payload = "{}", payload_file = "events/a.json")]
async fn two_payloads() {}

#[lambda_test(function = "probe", events = "events/*.json", payload = "{}")]
async fn events_and_payload() {}

#[lambda_test(function = "probe", invocation_type = "Event", dry_run = true)]
async fn two_invocation_types() {}

fn main() {}
