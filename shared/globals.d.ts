declare const __ENCLAVE_VERSION__: string;
