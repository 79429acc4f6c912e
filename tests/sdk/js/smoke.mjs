// Braintrust's TypeScript SDK, unchanged, against this server: a traced project log with a nested span,
// an experiment with one scored row and its summary, a second run of it compared with the first, and a
// dataset record. The SDK finds the server from BRAINTRUST_APP_URL and
// BRAINTRUST_API_KEY alone. Prints one JSON object (the ids the SDK used) on stdout for
// tests/sdk/test_typescript.py to look up in the database.
//
// Exits non-zero on any error, including the ones the SDK only reports: a failed background flush is
// swallowed by flush() (after 3 tries, "log request failed after 3 retries. Dropping batch") and
// surfaces only as a console.warn/console.error once the SDK's debug log is at "warn", so anything
// the SDK writes there counts as a failure. The level is set through BRAINTRUST_DEBUG_LOG_LEVEL, here
// in the script: in braintrust 3.35.0 the `debugLogLevel` option of initLogger()/init() is lost at
// login (the logged-in state is copied over it), and the SDK is silent again.
//
// usage: node --require ./loopback_only.cjs smoke.mjs [project name]

const complaints = [];
for (const method of ["warn", "error"]) {
  const original = console[method].bind(console);
  console[method] = (...args) => {
    complaints.push(args.map((arg) => (arg instanceof Error ? (arg.stack ?? String(arg)) : String(arg))).join(" "));
    original(...args);
  };
}

process.env.BRAINTRUST_DEBUG_LOG_LEVEL = "warn";

async function main() {
  for (const name of ["BRAINTRUST_APP_URL", "BRAINTRUST_API_KEY"]) {
    if (!process.env[name]) {
      throw new Error(`${name} is not set`);
    }
  }
  // Imported only now, so that whatever it prints while loading is caught too.
  const { currentSpan, init, initDataset, initLogger, traced, wrapTraced } = await import("braintrust");
  const projectName = process.argv[2] ?? "typescript-sdk-smoke";

  const logger = initLogger({ projectName });

  const spanIds = (span) => ({ id: span.id, span_id: span.spanId, root_span_id: span.rootSpanId, span_parents: span.spanParents });

  const add = wrapTraced(
    async function add(a, b) {
      const sum = a + b;
      currentSpan().log({ metadata: { step: "add" } });
      return { sum, ids: spanIds(currentSpan()) };
    },
    { name: "add" },
  );

  const trace = await traced(
    async (span) => {
      const question = { a: 2, b: 3 };
      span.log({ input: question, metadata: { sdk: "typescript" } });
      const { sum, ids: child } = await add(question.a, question.b);
      span.log({ output: { sum }, expected: { sum: 5 }, scores: { exact: sum === 5 ? 1 : 0 } });
      return { parent: spanIds(span), child };
    },
    { name: "solve" },
  );
  await logger.flush();
  const projectId = await logger.id;

  const experiment = init(projectName, { experiment: "typescript-sdk-smoke" });
  const rowId = experiment.log({
    input: { question: "2 + 3" },
    output: "5",
    expected: "5",
    scores: { exact: 1, close: 0.5 },
    metadata: { sdk: "typescript" },
  });
  await experiment.flush();
  const experimentId = await experiment.id;
  const experimentProject = await experiment.project;
  const summary = await experiment.summarize();

  // A second run under the same name starts a new experiment, compared with the first.
  const rerun = init(projectName, { experiment: "typescript-sdk-smoke" });
  rerun.log({
    input: { question: "2 + 3" },
    output: "6",
    expected: "5",
    scores: { exact: 0, close: 0.5 },
    metadata: { sdk: "typescript" },
  });
  const rerunSummary = await rerun.summarize();

  const dataset = initDataset(projectName, { dataset: "typescript-sdk-smoke" });
  const recordId = dataset.insert({ input: { question: "2 + 3" }, expected: "5", metadata: { sdk: "typescript" } });
  await dataset.flush();
  const datasetId = await dataset.id;

  if (complaints.length) {
    throw new Error(`the SDK reported ${complaints.length} problem(s) on the console:\n${complaints.join("\n")}`);
  }
  process.stdout.write(
    `${JSON.stringify({
      project_id: projectId,
      project_name: projectName,
      logs: trace,
      experiment: { id: experimentId, name: await experiment.name, project_id: experimentProject.id, row_id: rowId },
      summaries: [summary, rerunSummary].map((s) => ({
        experiment_id: s.experimentId,
        experiment_name: s.experimentName,
        comparison_experiment_name: s.comparisonExperimentName ?? null,
        scores: s.scores,
      })),
      dataset: { id: datasetId, record_id: recordId },
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`smoke.mjs failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
