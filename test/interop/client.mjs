// client.mjs - ar-mcp driven by the official MCP TypeScript SDK client.
//
// Environment: AR_MCP (path to bin/ar-mcp), MOCK_URL and MOCK_KEY (the mock
// backend of test/helper.bash), MCP_SDK (the package to import: the default
// @modelcontextprotocol/sdk, or sdk-gemini-cli, the SDK release Gemini CLI
// pins), MCP_TRANSPORT (stdio, the default, or http: ar-mcp --http and the
// SDK's StreamableHTTPClientTransport). Each scenario starts its own ar-mcp
// with its own environment and connects a client; the results are printed
// as one JSON object.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sdk = process.env.MCP_SDK || '@modelcontextprotocol/sdk';
const { Client } = await import(`${sdk}/client/index.js`);
const { StdioClientTransport } = await import(`${sdk}/client/stdio.js`);
const { StreamableHTTPClientTransport } = await import(
	`${sdk}/client/streamableHttp.js`);
const overHttp = process.env.MCP_TRANSPORT === 'http';
const sdkVersion = JSON.parse(readFileSync(new URL(
	`./node_modules/${sdk}/package.json`, import.meta.url))).version;

const TASK = { task: 'add two numbers', language: 'python' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Open TCP connections (established or half-closed) with the mock, both ends.
function liveConns() {
	const port = Number(new URL(process.env.MOCK_URL).port);
	let n = 0;
	for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let rows;
		try {
			rows = readFileSync(f, 'utf8').split('\n').slice(1);
		} catch {
			continue;
		}
		for (const r of rows) {
			const p = r.trim().split(/\s+/);
			if (p.length < 4 || !['01', '08'].includes(p[3]))
				continue;
			if (p.slice(1, 3).some((a) => parseInt(a.split(':')[1], 16) === port))
				n++;
		}
	}
	return n;
}

// Starts ar-mcp --http on a free port; resolves to the child and the URL
// it prints.
function startHttp(env) {
	const child = spawn(process.env.AR_MCP, ['--http', '127.0.0.1:0'],
	    { env, stdio: ['ignore', 'pipe', 'pipe'] });
	return new Promise((resolve, reject) => {
		let buf = '';
		child.stdout.on('data', (d) => {
			buf += d;
			if (buf.includes('\n'))
				resolve({ child, url: buf.split('\n')[0] });
		});
		child.on('exit', (code) => reject(new Error(`ar-mcp exited ${code}`)));
	});
}

// Connects a client to a fresh ar-mcp whose backends are the mock with the
// given models, over stdio or HTTP. Every message in both directions is
// recorded.
async function open(local, cloud) {
	const env = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		NO_PROXY: '127.0.0.1,localhost',
		OLLAMA_HOST: process.env.MOCK_URL,
		GOOGLE_GEMINI_BASE_URL: process.env.MOCK_URL,
		GEMINI_API_KEY: process.env.MOCK_KEY,
		AR_LOCAL_MODEL: local,
		AR_CLOUD_MODEL: cloud,
		AR_FIRST_TOKEN_TIMEOUT: '30',
		AR_TIMEOUT: '60',
	};
	let transport, child = null;
	if (overHttp) {
		const h = await startHttp(env);
		child = h.child;
		transport = new StreamableHTTPClientTransport(new URL(h.url));
	} else
		transport = new StdioClientTransport({ command: process.env.AR_MCP,
		    args: [], env, stderr: 'pipe' });
	const c = { transport, child, received: [], sent: [], errors: [],
	    stderr: '' };
	let handler;
	Object.defineProperty(transport, 'onmessage', {
		configurable: true,
		get: () => handler && ((m, extra) => {
			c.received.push(m);
			handler(m, extra);
		}),
		set: (f) => { handler = f; },
	});
	const send = transport.send.bind(transport);
	transport.send = (m, o) => {
		c.sent.push(m);
		return send(m, o);
	};
	(child ? child.stderr : transport.stderr).on('data',
	    (d) => { c.stderr += d; });
	c.client = new Client({ name: 'aurarouter-interop', version: '1.0.0' });
	// What the transport reports once close() began is its own abort of
	// a stream (the SDK's HTTP transport aborts every fetch), not ours.
	c.client.onerror = (e) => c.closing || c.errors.push(String(e));
	await c.client.connect(transport);
	const init = c.received.find((m) => m.result?.protocolVersion);
	c.info = {
		protocolVersion: init?.result.protocolVersion,
		sentVersion: c.sent.find((m) => m.method === 'initialize')?.params
		    .protocolVersion,
		server: c.client.getServerVersion(),
		capabilities: c.client.getServerCapabilities(),
		instructions: c.client.getInstructions(),
	};
	return c;
}

async function close(c) {
	const t0 = Date.now();
	c.closing = true;
	await c.client.close();
	if (c.child) {
		const exited = new Promise((r) => c.child.on('exit', r));
		c.child.kill('SIGTERM');
		c.exit = await exited;
	}
	return {
		exit: c.exit,
		closeMs: Date.now() - t0,
		errors: c.errors,
		stderr: c.stderr,
		nonProtocol: c.received.filter((m) => m.jsonrpc !== '2.0').length,
	};
}

// One call with progress; the result and the progress the client saw.
async function callScenario(local, cloud) {
	const c = await open(local, cloud);
	const progress = [];
	const result = await c.client.callTool({ name: 'intelligent_code_gen',
	    arguments: TASK }, undefined, { onprogress: (p) => progress.push(p) });
	return { ...c.info, result, progress, ...(await close(c)) };
}

async function listScenario() {
	const c = await open('ok', 'ok');
	const tools = (await c.client.listTools()).tools;
	await c.client.ping();
	return { ...c.info, tools, ...(await close(c)) };
}

// A call against the hanging model, aborted once the local model runs.
async function cancelScenario() {
	const c = await open('hang', 'ok');
	const ac = new AbortController();
	const progress = [];
	let before = -1, error = null;
	const t0 = Date.now();
	try {
		await c.client.callTool({ name: 'intelligent_code_gen',
		    arguments: TASK }, undefined, {
			signal: ac.signal,
			onprogress: (p) => {
				progress.push(p);
				if (/local model generating/.test(p.message) &&
				    !ac.signal.aborted)
					setTimeout(() => {
						before = liveConns();
						ac.abort('test cancel');
					}, 300);
			},
		});
	} catch (e) {
		error = String(e);
	}
	const abortMs = Date.now() - t0;
	let after = liveConns();
	for (let i = 0; i < 75 && after > 0; i++) {
		await sleep(200);
		after = liveConns();
	}
	await c.client.ping();
	const cancelled = c.sent.find((m) => m.method === 'notifications/cancelled');
	const callId = c.sent.find((m) => m.method === 'tools/call')?.id;
	const answered = c.received.some((m) => m.id === callId && !m.method);
	return { ...c.info, error, abortMs, progress, cancelled, answered,
	    connsBefore: before, connsAfter: after, ...(await close(c)) };
}

const out = { sdk, sdkVersion, transport: overHttp ? 'http' : 'stdio' };
try {
	out.list = await listScenario();
	out.local = await callScenario('ok', 'ok');
	out.fallback = await callScenario('missing', 'ok');
	out.allFail = await callScenario('missing', 'http-400');
	out.cancel = await cancelScenario();
} catch (e) {
	out.fatal = String(e.stack || e);
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.fatal ? 1 : 0);
