// The few WebAssembly globals the SIMD kernel uses (lib.dom declares them, which we do not load).
declare namespace WebAssembly {
  class Module { constructor(bytes: Uint8Array) }
  class Instance { constructor(module: Module, imports?: object); readonly exports: Record<string, unknown> }
  class Memory { readonly buffer: ArrayBuffer; grow(pages: number): number }
}
