// tus-js-client's types name Node's Buffer (it also runs in Node); the lab never passes
// one, and Node's types are not loaded here (they would change timers' types).
type Buffer = Uint8Array;
