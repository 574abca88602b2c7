// Runs the storage conformance suite on the in-memory reference backend.
import { MemoryStorage } from "../../src/storage/memory/memory-storage";
import { runStorageConformance } from "./storage-conformance";

runStorageConformance("memory", async () => new MemoryStorage());
