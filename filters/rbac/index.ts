import "./filter";
export * from "../../shared/abi/exports";
