// Every name the page and its Workers keep in browser storage, mirrored from the engine's one
// module of storage names (py_src/evomachine/storage/keys.py, BROWSER); a unit test
// (tests/unit/test_storage_keys.py) holds the two equal. Import names from here; never spell one.
//
// DATABASE             the IndexedDB database the engine's storage opens
// LOCAL_PREFIX         every localStorage entry of the app starts with it (Reset clears them all)
// ENGINE_ROOT          the engine's localStorage-backend items: LOCAL_PREFIX + "|" + namespace...
// LLM_KEY              the remembered API key {provider, url, key} (never crosses to the engine)
// UI_PREFS, DRAFT      page preferences and the editor's unsaved draft
// PROBE                a throwaway entry written to learn whether localStorage works
// LOCK, CHANNEL        the Lab's origin-wide Web Lock and BroadcastChannel
// PAGE_STORAGE_GLOBAL  the engine Worker's global holding its copy of the page's entries

export const DATABASE = "evomachine";
export const LOCAL_PREFIX = "evomachine:";
export const ENGINE_ROOT = "evomachine:|";
export const LLM_KEY = "evomachine:llm-key";
export const UI_PREFS = "evomachine:ui";
export const DRAFT = "evomachine:draft";
export const PROBE = "evomachine:probe";
export const LOCK = "evomachine:lab";
export const CHANNEL = "evomachine:lab";
export const PAGE_STORAGE_GLOBAL = "evomachinePageStorage";
